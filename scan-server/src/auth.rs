//! Credentials: access keys (long-lived, stored hashed) and what any credential holds.
//!
//! An access key is 32 random bytes written as 64 lowercase hex digits. The server stores
//! only its SHA-256 (keys are random, so a fast hash is enough: there is nothing to guess),
//! and names it by a short key id derived from that hash, so `scan keys list` and `revoke`
//! never need the key itself.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;

/// A permission a credential may hold (`docs/build-scans.md`, "Permissions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// `publishScan`: `POST /api/scans`.
    PublishScan,
    /// `readScans`: reading the scans of the projects the credential holds.
    ReadScans,
    /// `accessDataWithoutAssociatedProject`: reading (and, with project-level access
    /// control, publishing) scans without a project id.
    AccessDataWithoutAssociatedProject,
}

impl Permission {
    /// Every permission, in display order.
    pub const ALL: [Permission; 3] = [
        Permission::PublishScan,
        Permission::ReadScans,
        Permission::AccessDataWithoutAssociatedProject,
    ];

    /// The config name (`publishScan`, ...), as query parameters and the CLI take it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::PublishScan => "publishScan",
            Permission::ReadScans => "readScans",
            Permission::AccessDataWithoutAssociatedProject => "accessDataWithoutAssociatedProject",
        }
    }

    /// Parses a config name; `None` for a name this server does not know.
    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a comma-separated permission list (the CLI's `--permissions`), naming the first
/// unknown one.
pub fn parse_permissions(list: &str) -> Result<BTreeSet<Permission>, String> {
    split_list(list)
        .map(|name| {
            Permission::parse(name).ok_or_else(|| {
                format!(
                    "unknown permission {name:?} (known: {})",
                    Permission::ALL.map(|p| p.as_str()).join(", ")
                )
            })
        })
        .collect()
}

/// The non-empty, trimmed items of a comma-separated list.
pub fn split_list(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// Which kind of credential authenticated a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A long-lived access key.
    Key,
    /// A short-lived access token.
    Token,
}

/// What an authenticated request may do: the permissions and projects of the access key or
/// token it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Key or token.
    pub kind: CredentialKind,
    /// The access key this credential is, or was minted (directly or through other tokens)
    /// from: revoking that key ends every token made from it.
    pub key_id: String,
    /// The user the key belongs to.
    pub user: String,
    /// Permissions held.
    pub permissions: BTreeSet<Permission>,
    /// Project ids held (checked only with project-level access control).
    pub projects: BTreeSet<String>,
    /// When the credential stops working; `None` for a key without expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Credential {
    /// Whether it holds `p`.
    pub fn has(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }

    /// Whether it may see a scan of project `project_id` (`None`: no associated project).
    /// Reading always needs `readScans`; project ids are checked only with project-level
    /// access control.
    pub fn can_read(&self, project_id: Option<&str>, project_access_control: bool) -> bool {
        self.has(Permission::ReadScans) && self.covers_project(project_id, project_access_control)
    }

    /// Whether the credential's projects cover `project_id` (always true without
    /// project-level access control).
    pub fn covers_project(&self, project_id: Option<&str>, project_access_control: bool) -> bool {
        if !project_access_control {
            return true;
        }
        match project_id {
            None => self.has(Permission::AccessDataWithoutAssociatedProject),
            Some(id) => self.projects.contains(id),
        }
    }
}

/// A newly generated access key: the secret (shown once) and what is stored.
#[derive(Debug)]
pub struct NewKey {
    /// The key itself: 64 hex digits. Shown once, never stored.
    pub secret: String,
    /// SHA-256 of the key, hex: what the database keeps.
    pub hash: String,
    /// The short public name of the key.
    pub key_id: String,
}

/// Generates a random access key from the operating system's generator.
pub fn generate_key() -> NewKey {
    let secret = random_hex(32);
    let hash = hash_key(&secret);
    NewKey {
        key_id: key_id_of(&hash),
        hash,
        secret,
    }
}

/// `n` random bytes as hex, from the operating system's generator.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// SHA-256 of a presented key, hex: what it is looked up by.
pub fn hash_key(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The key id of a key hash: its first 12 hex digits (a hash prefix, so it reveals nothing
/// of the key).
pub fn key_id_of(hash: &str) -> String {
    hash[..12].to_string()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Whether `s` looks like an access key (so a token is never hashed and looked up as one).
pub fn looks_like_key(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_hex_and_named_by_their_hash() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a.secret, b.secret);
        assert!(looks_like_key(&a.secret));
        assert_eq!(hash_key(&a.secret), a.hash);
        assert_eq!(a.key_id.len(), 12);
        assert!(a.hash.starts_with(&a.key_id));
    }

    #[test]
    fn permission_lists_name_the_unknown_one() {
        let set = parse_permissions("publishScan, readScans,,").unwrap();
        assert_eq!(set.len(), 2);
        let err = parse_permissions("publishScan,writeCache").unwrap_err();
        assert!(err.contains("\"writeCache\""), "{err}");
    }
}
