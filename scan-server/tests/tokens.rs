//! Every rule of `POST /api/auth/token` (docs/build-scans.md), each its own test, against a
//! real server on 127.0.0.1 with a real SQLite database.

mod common;

use chrono::{Duration, Utc};
use common::*;
use devlake_scan::Outcome;
use devlake_scan_server::auth::{Credential, CredentialKind, Permission};
use devlake_scan_server::token::TokenSigner;
use devlake_scan_server::Store;

async fn server(pac: bool) -> (tempfile::TempDir, TestServer, reqwest::Client) {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(&sqlite_in(&dir), pac).await;
    (dir, s, reqwest::Client::new())
}

fn lifetime_secs(token: &str) -> i64 {
    let c = claims(token);
    c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn default_lifetime_is_two_hours_with_all_of_the_keys_grants() {
    let (_d, s, c) = server(true).await;
    let key = s.key("ann", "publishScan,readScans", "a,b").await;
    let (status, token) = token_at(&c, &s.url("/api/auth/token"), &key).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(lifetime_secs(&token), 2 * 3600);
    let cl = claims(&token);
    assert_eq!(strings(&cl["permissions"]), ["publishScan", "readScans"]);
    assert_eq!(strings(&cl["projects"]), ["a", "b"]);
    // The token works where the key does.
    let (status, _) = search(&c, &s, &token, "").await;
    assert_eq!(status, 200);
    s.stop().await;
}

#[tokio::test]
async fn default_lifetime_is_the_credentials_remaining_lifetime_when_shorter() {
    let (_d, s, c) = server(false).await;
    let key = s.key("ann", "readScans", "").await;
    let (_, one_hour) = token_at(&c, &s.url("/api/auth/token?expiresInHours=1"), &key).await;
    let (status, child) = token_at(&c, &s.url("/api/auth/token"), &one_hour).await;
    assert_eq!(status, 200, "{child}");
    assert_eq!(claims(&child)["exp"], claims(&one_hour)["exp"]);
    assert!(lifetime_secs(&child) <= 3600);
    s.stop().await;
}

#[tokio::test]
async fn a_key_expiring_soon_caps_the_default_lifetime() {
    let (_d, s, c) = server(false).await;
    let expires = Utc::now() + Duration::minutes(30);
    let key = create_key(&s.db, "ann", "readScans", "", Some(expires)).await;
    let (status, token) = token_at(&c, &s.url("/api/auth/token"), &key).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(claims(&token)["exp"].as_i64().unwrap(), expires.timestamp());
    s.stop().await;
}

#[tokio::test]
async fn lifetime_is_at_most_24_hours() {
    let (_d, s, c) = server(false).await;
    let key = s.key("ann", "readScans", "").await;
    let (status, token) = token_at(&c, &s.url("/api/auth/token?expiresInHours=24"), &key).await;
    assert_eq!(status, 200);
    assert_eq!(lifetime_secs(&token), 24 * 3600);
    for bad in ["25", "0", "1.5", "two"] {
        let (status, body) = token_at(
            &c,
            &s.url(&format!("/api/auth/token?expiresInHours={bad}")),
            &key,
        )
        .await;
        assert_eq!(status, 400, "expiresInHours={bad}: {body}");
        assert!(body.contains("expiresInHours"), "{body}");
    }
    s.stop().await;
}

#[tokio::test]
async fn narrowing_grants_only_what_is_asked_in_comma_lists_or_repeated_parameters() {
    let (_d, s, c) = server(true).await;
    let key = s
        .key(
            "ann",
            "publishScan,readScans,accessDataWithoutAssociatedProject",
            "a,b,c,d",
        )
        .await;
    let (status, token) = token_at(
        &c,
        &s.url(
            "/api/auth/token?permissions=readScans&projectIds=a,b&projectIds=c&expiresInHours=1",
        ),
        &key,
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let cl = claims(&token);
    assert_eq!(strings(&cl["permissions"]), ["readScans"]);
    assert_eq!(strings(&cl["projects"]), ["a", "b", "c"]);
    assert_eq!(lifetime_secs(&token), 3600);
    // The narrowed token cannot publish, though the key can.
    let (status, body) = publish(
        &c,
        &s,
        &token,
        &scan(1, Some("a"), &[], &[], Outcome::Success),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = publish(
        &c,
        &s,
        &key,
        &scan(1, Some("a"), &[], &[], Outcome::Success),
    )
    .await;
    assert_eq!(status, 201);
    s.stop().await;
}

#[tokio::test]
async fn asking_for_a_permission_not_held_is_403() {
    let (_d, s, c) = server(true).await;
    let key = s.key("ann", "readScans", "a").await;
    let (status, body) = token_at(
        &c,
        &s.url("/api/auth/token?permissions=readScans,publishScan"),
        &key,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("publishScan"), "{body}");
    // A token asking its parent token for more is refused the same way.
    let (_, narrow) = token_at(&c, &s.url("/api/auth/token?permissions=readScans"), &key).await;
    let (status, _) = token_at(
        &c,
        &s.url("/api/auth/token?permissions=publishScan"),
        &narrow,
    )
    .await;
    assert_eq!(status, 403);
    s.stop().await;
}

#[tokio::test]
async fn asking_for_a_project_not_held_is_403_with_project_access_control() {
    let (_d, s, c) = server(true).await;
    let key = s.key("ann", "readScans", "a,b").await;
    let (status, body) = token_at(
        &c,
        &s.url("/api/auth/token?projectIds=a&projectIds=z"),
        &key,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("\\\"z\\\"") || body.contains("\"z\""),
        "{body}"
    );
    let (_, only_a) = token_at(&c, &s.url("/api/auth/token?projectIds=a"), &key).await;
    let (status, _) = token_at(&c, &s.url("/api/auth/token?projectIds=b"), &only_a).await;
    assert_eq!(
        status, 403,
        "a token cannot widen to a project its parent lacks"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_token_that_would_outlive_its_credential_is_403() {
    let (_d, s, c) = server(false).await;
    let key = s.key("ann", "readScans", "").await;
    let (_, one_hour) = token_at(&c, &s.url("/api/auth/token?expiresInHours=1"), &key).await;
    let (status, body) = token_at(&c, &s.url("/api/auth/token?expiresInHours=2"), &one_hour).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("expire after"), "{body}");
    // Same for a key that expires within the hour.
    let soon = create_key(
        &s.db,
        "bob",
        "readScans",
        "",
        Some(Utc::now() + Duration::minutes(30)),
    )
    .await;
    let (status, _) = token_at(&c, &s.url("/api/auth/token?expiresInHours=1"), &soon).await;
    assert_eq!(status, 403);
    s.stop().await;
}

#[tokio::test]
async fn without_project_access_control_every_token_can_read_scans_without_a_project() {
    let (_d, s, c) = server(false).await;
    let key = s.key("ann", "publishScan,readScans", "").await;
    let (_, token) = token_at(&c, &s.url("/api/auth/token?permissions=readScans"), &key).await;
    assert_eq!(
        strings(&claims(&token)["permissions"]),
        ["readScans", "accessDataWithoutAssociatedProject"]
    );
    // Asking for it explicitly is not asking for more.
    let (status, _) = token_at(
        &c,
        &s.url("/api/auth/token?permissions=publishScan,accessDataWithoutAssociatedProject"),
        &key,
    )
    .await;
    assert_eq!(status, 200);
    s.stop().await;
}

#[tokio::test]
async fn a_token_is_valid_only_at_the_host_name_that_issued_it() {
    let (_d, s, c) = server(false).await;
    let key = s.key("ann", "readScans", "").await;
    let (_, token) = token_at(&c, &s.url("/api/auth/token"), &key).await;
    assert_eq!(claims(&token)["aud"], "127.0.0.1");
    let at_localhost = c
        .get(s.url_at_localhost("/api/scans"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(at_localhost.status().as_u16(), 401);
    let body = at_localhost.text().await.unwrap();
    assert!(body.contains("another host name"), "{body}");
    assert!(!body.contains(&token));
    // The key itself works at both names, and a token minted at localhost works there.
    let (status, at_lh) = token_at(&c, &s.url_at_localhost("/api/auth/token"), &key).await;
    assert_eq!(status, 200);
    let ok = c
        .get(s.url_at_localhost("/api/scans"))
        .bearer_auth(&at_lh)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    s.stop().await;
}

#[tokio::test]
async fn a_revoked_key_and_its_tokens_stop_working() {
    let (_d, s, c) = server(false).await;
    let key = s.key("ann", "readScans", "").await;
    let (_, token) = token_at(&c, &s.url("/api/auth/token"), &key).await;
    let (_, grandchild) = token_at(&c, &s.url("/api/auth/token"), &token).await;
    assert_eq!(search(&c, &s, &grandchild, "").await.0, 200);
    // Revoked from another process's view of the database, as `scan keys revoke` does.
    let store = Store::open(&s.db).await.unwrap();
    let id = store.list_keys().await.unwrap()[0].key_id.clone();
    assert!(store.revoke_key(&id).await.unwrap());
    store.close().await;
    // The key: at once.
    let (status, body) = search(&c, &s, &key, "").await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = token_at(&c, &s.url("/api/auth/token"), &key).await;
    assert_eq!(status, 401);
    // Its tokens: once the server has re-read the revoked set (every second); wait for
    // that condition rather than for a time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, body) = search(&c, &s, &grandchild, "").await;
        if status == 401 {
            assert!(
                body["error"].as_str().unwrap().contains("revoked"),
                "{body}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "token still accepted after revocation"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(token_at(&c, &s.url("/api/auth/token"), &token).await.0, 401);
    s.stop().await;
}

#[tokio::test]
async fn expired_tampered_and_foreign_tokens_are_401() {
    let (_d, s, c) = server(false).await;
    let key = s.key("ann", "readScans", "").await;
    // An expired token signed with this server's own secret.
    let store = Store::open(&s.db).await.unwrap();
    let (kid, secret) = store.signing_secret().await.unwrap();
    let key_id = store.list_keys().await.unwrap()[0].key_id.clone();
    store.close().await;
    let issued = Utc::now() - Duration::hours(3);
    let grant = Credential {
        kind: CredentialKind::Token,
        key_id,
        user: "ann".into(),
        permissions: [Permission::ReadScans].into(),
        projects: Default::default(),
        expires_at: Some(issued + Duration::hours(2)),
    };
    let expired = TokenSigner::new(kid.clone(), secret).sign(&grant, "127.0.0.1", issued);
    let (status, body) = search(&c, &s, &expired, "").await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "access token has expired")
    );
    // Signed by another server.
    let grant = Credential {
        expires_at: Some(Utc::now() + Duration::hours(1)),
        ..grant
    };
    let foreign =
        TokenSigner::new(kid, b"not this server".to_vec()).sign(&grant, "127.0.0.1", Utc::now());
    assert_eq!(search(&c, &s, &foreign, "").await.0, 401);
    // Tampered: a widened payload under the original signature.
    let (_, token) = token_at(&c, &s.url("/api/auth/token"), &key).await;
    let parts: Vec<&str> = token.split('.').collect();
    let other: Vec<&str> = foreign.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], other[1], parts[2]);
    assert_eq!(search(&c, &s, &tampered, "").await.0, 401);
    assert_eq!(search(&c, &s, "not-a-token", "").await.0, 401);
    assert_eq!(search(&c, &s, &"0".repeat(64), "").await.0, 401);
    s.stop().await;
}
