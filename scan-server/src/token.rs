//! Short-lived access tokens (the seed's "Short-lived access tokens", as
//! `docs/build-scans.md` states them).
//!
//! A token is a JWT signed with HMAC-SHA256 under a server secret, so it verifies without a
//! database look-up. Its audience is the host name of the request that minted it: a token
//! presented under another host name is refused, which is what "changing the host name
//! invalidates tokens" means. It carries the id of the access key it descends from, so
//! revoking that key ends it too (see [`crate::server`]).

use crate::auth::{split_list, Credential, CredentialKind, Permission};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use chrono::{DateTime, Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeSet;

/// Default token lifetime when `expiresInHours` is not given.
pub const DEFAULT_HOURS: i64 = 2;
/// Longest token lifetime a request may ask for.
pub const MAX_HOURS: i64 = 24;

/// Signs and verifies tokens with the server secret.
#[derive(Clone)]
pub struct TokenSigner {
    kid: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSigner({})", self.kid)
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    key_id: String,
    permissions: Vec<String>,
    projects: Vec<String>,
    iat: i64,
    nbf: i64,
    exp: i64,
    token_type: String,
}

/// Why a token is refused (messages never contain the token).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token this server could have made.
    #[error("malformed access token")]
    Malformed,
    /// The signature does not match (another server, or a tampered token).
    #[error("access token signature is invalid (not issued by this server)")]
    BadSignature,
    /// Past its expiry.
    #[error("access token has expired")]
    Expired,
    /// Issued under another host name.
    #[error("access token was issued for another host name")]
    WrongHost,
}

type HmacSha256 = Hmac<Sha256>;

impl TokenSigner {
    /// A signer for the secret named `kid`.
    pub fn new(kid: impl Into<String>, secret: Vec<u8>) -> TokenSigner {
        TokenSigner {
            kid: kid.into(),
            secret,
        }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length")
    }

    /// Mints a token for `grant` (its `expires_at` must be set), bound to `host`.
    pub fn sign(&self, grant: &Credential, host: &str, now: DateTime<Utc>) -> String {
        let header = Header {
            alg: "HS256".into(),
            typ: "JWT".into(),
            kid: self.kid.clone(),
        };
        let claims = Claims {
            iss: host.into(),
            aud: host.into(),
            sub: grant.user.clone(),
            key_id: grant.key_id.clone(),
            permissions: grant
                .permissions
                .iter()
                .map(|p| p.as_str().into())
                .collect(),
            projects: grant.projects.iter().cloned().collect(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: grant.expires_at.expect("a token expires").timestamp(),
            token_type: "access_token".into(),
        };
        let signing_input = format!("{}.{}", encode_part(&header), encode_part(&claims));
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let sig = B64.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }

    /// Verifies `token` as presented at `host`: signature, host name, expiry.
    pub fn verify(
        &self,
        token: &str,
        host: &str,
        now: DateTime<Utc>,
    ) -> Result<Credential, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let sig = B64.decode(s).map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(h.as_bytes());
        mac.update(b".");
        mac.update(c.as_bytes());
        // Constant-time comparison: the signature check must not leak how much matched.
        mac.verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        let header: Header = decode_part(h)?;
        if header.alg != "HS256" {
            return Err(TokenError::Malformed);
        }
        let claims: Claims = decode_part(c)?;
        if claims.token_type != "access_token" {
            return Err(TokenError::Malformed);
        }
        if !claims.aud.eq_ignore_ascii_case(host) {
            return Err(TokenError::WrongHost);
        }
        if now.timestamp() >= claims.exp {
            return Err(TokenError::Expired);
        }
        let permissions = claims
            .permissions
            .iter()
            .map(|p| Permission::parse(p).ok_or(TokenError::Malformed))
            .collect::<Result<_, _>>()?;
        Ok(Credential {
            kind: CredentialKind::Token,
            key_id: claims.key_id,
            user: claims.sub,
            permissions,
            projects: claims.projects.into_iter().collect(),
            expires_at: Some(
                Utc.timestamp_opt(claims.exp, 0)
                    .single()
                    .ok_or(TokenError::Malformed)?,
            ),
        })
    }
}

fn decode_part<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, TokenError> {
    let bytes = B64.decode(part).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

fn encode_part<T: Serialize>(part: &T) -> String {
    B64.encode(serde_json::to_vec(part).expect("token parts serialize"))
}

/// The query of `POST /api/auth/token`, parsed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TokenRequest {
    /// Requested permission names (`None`: all of the credential's).
    pub permissions: Option<Vec<String>>,
    /// Requested project ids (`None`: all of the credential's).
    pub project_ids: Option<Vec<String>>,
    /// Requested lifetime in hours (`None`: the default).
    pub expires_in_hours: Option<i64>,
}

impl TokenRequest {
    /// Parses a raw query string. Lists may be comma-separated, repeated, or both
    /// (`?projectIds=a,b&projectIds=c`). Errors (a 400) name the parameter.
    pub fn parse(query: &str) -> Result<TokenRequest, String> {
        let mut req = TokenRequest::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let list = match name.as_ref() {
                "permissions" => &mut req.permissions,
                "projectIds" => &mut req.project_ids,
                "expiresInHours" => {
                    if req.expires_in_hours.is_some() {
                        return Err("expiresInHours is given more than once".into());
                    }
                    let hours = value
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|h| (1..=MAX_HOURS).contains(h))
                        .ok_or_else(|| {
                            format!("expiresInHours must be an integer from 1 to {MAX_HOURS}")
                        })?;
                    req.expires_in_hours = Some(hours);
                    continue;
                }
                other => {
                    return Err(format!(
                        "unknown query parameter {:?} (expected permissions, projectIds, expiresInHours)",
                        truncate(other)
                    ))
                }
            };
            list.get_or_insert_with(Vec::new)
                .extend(split_list(&value).map(str::to_string));
        }
        Ok(req)
    }

    /// What a token minted for `cred` by this request holds, or why it may not be minted
    /// (a 403). `project_access_control`: whether project ids are checked.
    pub fn grant(
        &self,
        cred: &Credential,
        project_access_control: bool,
        now: DateTime<Utc>,
    ) -> Result<Credential, String> {
        let mut permissions: BTreeSet<Permission> = match &self.permissions {
            None => cred.permissions.clone(),
            Some(names) => names
                .iter()
                .map(|name| {
                    Permission::parse(name)
                        .filter(|p| {
                            cred.has(*p)
                                // Granted to every token anyway without project-level access
                                // control, so asking for it is not asking for more.
                                || (!project_access_control
                                    && *p == Permission::AccessDataWithoutAssociatedProject)
                        })
                        .ok_or_else(|| {
                            format!(
                                "the credential does not hold the permission {:?}",
                                truncate(name)
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        let projects = match (&self.project_ids, project_access_control) {
            (Some(ids), true) => {
                if let Some(missing) = ids.iter().find(|id| !cred.projects.contains(*id)) {
                    return Err(format!(
                        "the credential does not hold the project {:?}",
                        truncate(missing)
                    ));
                }
                ids.iter().cloned().collect()
            }
            // Without project-level access control project ids are not checked: the token
            // keeps the credential's, whatever was asked.
            _ => cred.projects.clone(),
        };
        if !project_access_control {
            permissions.insert(Permission::AccessDataWithoutAssociatedProject);
        }
        let expires_at = match self.expires_in_hours {
            None => {
                let default = now + Duration::hours(DEFAULT_HOURS);
                cred.expires_at.map_or(default, |e| e.min(default))
            }
            Some(h) => {
                let asked = now + Duration::hours(h);
                if let Some(limit) = cred.expires_at {
                    if asked.timestamp() > limit.timestamp() {
                        return Err(format!(
                            "a token of {h} hour(s) would expire after the credential that asks for it (it expires at {})",
                            limit.to_rfc3339()
                        ));
                    }
                }
                asked
            }
        };
        Ok(Credential {
            kind: CredentialKind::Token,
            key_id: cred.key_id.clone(),
            user: cred.user.clone(),
            permissions,
            projects,
            expires_at: Some(expires_at),
        })
    }
}

/// Caps echoed request text, so an error line stays one short line.
fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(perms: &[Permission], projects: &[&str]) -> Credential {
        Credential {
            kind: CredentialKind::Key,
            key_id: "abc".into(),
            user: "ann".into(),
            permissions: perms.iter().copied().collect(),
            projects: projects.iter().map(|s| s.to_string()).collect(),
            expires_at: None,
        }
    }

    #[test]
    fn lists_are_comma_separated_or_repeated() {
        let r = TokenRequest::parse("projectIds=a,b&projectIds=c&permissions=readScans").unwrap();
        assert_eq!(r.project_ids.unwrap(), ["a", "b", "c"]);
        assert_eq!(r.permissions.unwrap(), ["readScans"]);
        assert!(TokenRequest::parse("expiresInHours=25").is_err());
        assert!(TokenRequest::parse("expiresInHours=0").is_err());
        assert!(TokenRequest::parse("expiresInHours=x").is_err());
        assert!(TokenRequest::parse("permission=readScans").is_err());
    }

    #[test]
    fn signed_tokens_verify_only_at_their_host_and_before_expiry() {
        let signer = TokenSigner::new("k1", b"secret".to_vec());
        let now = Utc::now();
        let grant = TokenRequest::default()
            .grant(&key(&[Permission::ReadScans], &["p"]), true, now)
            .unwrap();
        let token = signer.sign(&grant, "scans.example", now);
        let cred = signer.verify(&token, "scans.example", now).unwrap();
        assert_eq!(cred.permissions, grant.permissions);
        assert_eq!(cred.key_id, "abc");
        assert_eq!(
            signer.verify(&token, "other.example", now),
            Err(TokenError::WrongHost)
        );
        assert_eq!(
            signer.verify(&token, "scans.example", now + Duration::hours(2)),
            Err(TokenError::Expired)
        );
        let other = TokenSigner::new("k1", b"other".to_vec());
        assert_eq!(
            other.verify(&token, "scans.example", now),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            signer.verify("a.b", "scans.example", now),
            Err(TokenError::Malformed)
        );
    }
}
