//! Publishing, reading, searching and bad input against a real server on 127.0.0.1, on
//! SQLite and on a fresh PostgreSQL database.

mod common;

use common::*;
use devlake::testing::db::Backend;
use devlake_scan::Outcome;
use devlake_scan_server::MAX_SCAN_BYTES;
use std::io::Write;

async fn sqlite_server(pac: bool) -> (tempfile::TempDir, TestServer, reqwest::Client) {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(&sqlite_in(&dir), pac).await;
    (dir, s, reqwest::Client::new())
}

#[tokio::test]
async fn publishing_needs_publish_scan_and_reading_needs_read_scans() {
    let (_d, s, c) = sqlite_server(false).await;
    let reader = s.key("ann", "readScans", "").await;
    let publisher = s.key("ci", "publishScan", "").await;
    let sc = scan(1, None, &["CI"], &[], Outcome::Success);
    let (status, body) = publish(&c, &s, &reader, &sc).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("publishScan"));
    let (status, body) = publish(&c, &s, &publisher, &sc).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["id"], sc.id);
    assert_eq!(body["url"], s.url(&format!("/s/{}", sc.id)));
    // The publisher may not read.
    let (status, _) = search(&c, &s, &publisher, "").await;
    assert_eq!(status, 403);
    let r = c
        .get(s.url(&format!("/api/scans/{}", sc.id)))
        .bearer_auth(&publisher)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // The reader reads the document back as published.
    let (status, body) = search(&c, &s, &reader, "").await;
    assert_eq!((status, ids(&body)), (200, vec![sc.id.clone()]));
    let doc: devlake_scan::Scan = c
        .get(s.url(&format!("/api/scans/{}", sc.id)))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc, sc);
    // No credential at all.
    let r = c.get(s.url("/api/scans")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    s.stop().await;
}

#[tokio::test]
async fn project_level_access_control_limits_publishing_and_reading_to_held_projects() {
    let (_d, s, c) = sqlite_server(true).await;
    let ci = s
        .key(
            "ci",
            "publishScan,accessDataWithoutAssociatedProject",
            "a,b",
        )
        .await;
    let reader_a = s.key("ann", "readScans", "a").await;
    let reader_none = s
        .key("bob", "readScans,accessDataWithoutAssociatedProject", "")
        .await;
    assert_eq!(
        publish(&c, &s, &ci, &scan(1, Some("a"), &[], &[], Outcome::Success))
            .await
            .0,
        201
    );
    assert_eq!(
        publish(&c, &s, &ci, &scan(2, Some("b"), &[], &[], Outcome::Success))
            .await
            .0,
        201
    );
    assert_eq!(
        publish(&c, &s, &ci, &scan(3, None, &[], &[], Outcome::Success))
            .await
            .0,
        201
    );
    let (status, body) =
        publish(&c, &s, &ci, &scan(4, Some("z"), &[], &[], Outcome::Success)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("\"z\""), "{body}");
    let no_null = s.key("ci2", "publishScan", "a").await;
    assert_eq!(
        publish(&c, &s, &no_null, &scan(5, None, &[], &[], Outcome::Success))
            .await
            .0,
        403
    );

    let (_, body) = search(&c, &s, &reader_a, "").await;
    assert_eq!(ids(&body), [scan_id(1)]);
    assert_eq!(body["total"], 1);
    let (_, body) = search(&c, &s, &reader_none, "").await;
    assert_eq!(ids(&body), [scan_id(3)]);
    for (cred, id, ok) in [
        (&reader_a, 1, true),
        (&reader_a, 2, false),
        (&reader_a, 3, false),
        (&reader_none, 3, true),
    ] {
        let r = c
            .get(s.url(&format!("/api/scans/{}", scan_id(id))))
            .bearer_auth(cred)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), if ok { 200 } else { 404 }, "scan {id}");
    }
    s.stop().await;
}

#[tokio::test]
async fn publishing_the_same_scan_twice_stores_it_once() {
    let (_d, s, c) = sqlite_server(false).await;
    let key = s.key("ci", "publishScan,readScans", "").await;
    let sc = scan(7, None, &["CI"], &[("branch", "main")], Outcome::Success);
    assert_eq!(publish(&c, &s, &key, &sc).await.0, 201);
    let (status, body) = publish(&c, &s, &key, &sc).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], sc.id);
    assert_eq!(search(&c, &s, &key, "").await.1["total"], 1);
    s.stop().await;
}

/// A refused upload: what, content type, encoding, body, status, what the error says.
type BadUpload = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Vec<u8>,
    u16,
    &'static str,
);

/// Posts raw bytes; returns status and the JSON error.
async fn post_raw(
    c: &reqwest::Client,
    s: &TestServer,
    key: &str,
    content_type: Option<&str>,
    encoding: Option<&str>,
    body: Vec<u8>,
) -> (u16, String) {
    let mut req = c.post(s.url("/api/scans")).bearer_auth(key).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    if let Some(e) = encoding {
        req = req.header("content-encoding", e);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().await.expect("a JSON error body");
    (status, v["error"].as_str().unwrap_or_default().to_string())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn bad_uploads_get_a_clear_4xx_and_store_nothing() {
    let (_d, s, c) = sqlite_server(false).await;
    let key = s.key("ci", "publishScan,readScans", "").await;
    let good = serde_json::to_vec(&scan(1, None, &[], &[], Outcome::Success)).unwrap();
    let mut v2: serde_json::Value = serde_json::from_slice(&good).unwrap();
    v2["schema_version"] = 2.into();
    let mut bad_id: serde_json::Value = serde_json::from_slice(&good).unwrap();
    bad_id["id"] = "../../etc".into();
    let mut nul_tag: serde_json::Value = serde_json::from_slice(&good).unwrap();
    nul_tag["tags"] = serde_json::json!(["C\u{0}I"]);
    let mut missing: serde_json::Value = serde_json::from_slice(&good).unwrap();
    missing.as_object_mut().unwrap().remove("outcome");
    let mut wrong_type: serde_json::Value = serde_json::from_slice(&good).unwrap();
    wrong_type["duration_ms"] = "sekrit-value".into();
    // Over the limit, but otherwise a scan (a huge warning).
    let mut huge: serde_json::Value = serde_json::from_slice(&good).unwrap();
    huge["warnings"] = serde_json::json!(["x".repeat(MAX_SCAN_BYTES)]);
    let huge = serde_json::to_vec(&huge).unwrap();
    let json = Some("application/json");
    let cases: Vec<BadUpload> = vec![
        (
            "malformed JSON",
            json,
            None,
            b"{\"schema\": ".to_vec(),
            400,
            "malformed JSON",
        ),
        (
            "not a scan",
            json,
            None,
            b"{\"a\": 1}".to_vec(),
            400,
            "not a Build Scan",
        ),
        (
            "missing field",
            json,
            None,
            serde_json::to_vec(&missing).unwrap(),
            400,
            "missing field `outcome`",
        ),
        (
            "wrong type",
            json,
            None,
            serde_json::to_vec(&wrong_type).unwrap(),
            400,
            "wrong type or value",
        ),
        (
            "bad id",
            json,
            None,
            serde_json::to_vec(&bad_id).unwrap(),
            400,
            "26 characters",
        ),
        (
            "NUL in a tag",
            json,
            None,
            serde_json::to_vec(&nul_tag).unwrap(),
            400,
            "NUL",
        ),
        (
            "unknown version",
            json,
            None,
            serde_json::to_vec(&v2).unwrap(),
            422,
            "schema_version",
        ),
        (
            "no content type",
            None,
            None,
            good.clone(),
            415,
            "application/json",
        ),
        (
            "wrong content type",
            Some("text/plain"),
            None,
            good.clone(),
            415,
            "application/json",
        ),
        (
            "unknown encoding",
            json,
            Some("br"),
            good.clone(),
            415,
            "gzip",
        ),
        ("not gzip", json, Some("gzip"), good.clone(), 400, "gzip"),
        ("oversized", json, None, huge.clone(), 413, "32 MiB"),
        (
            "oversized once decompressed",
            json,
            Some("gzip"),
            gzip(&huge),
            413,
            "32 MiB",
        ),
    ];
    for (what, ct, enc, body, want, says) in cases {
        let (status, error) = post_raw(&c, &s, &key, ct, enc, body).await;
        assert_eq!(status, want, "{what}: {error}");
        assert!(
            error.contains(says),
            "{what}: {error:?} should say {says:?}"
        );
        assert!(
            !error.contains("sekrit"),
            "{what}: the error echoes input: {error}"
        );
        assert!(!error.contains('\n'), "{what}: one line");
    }
    // Bad credentials.
    let (status, error) = post_raw(&c, &s, "garbage.token.here", json, None, good.clone()).await;
    assert_eq!(status, 401, "{error}");
    assert!(!error.contains("garbage"));
    let (_, body) = search(&c, &s, &key, "").await;
    assert_eq!(body["total"], 0, "nothing stored by a refused upload");
    // And the good document, gzipped, is accepted.
    let (status, error) = post_raw(&c, &s, &key, json, Some("gzip"), gzip(&good)).await;
    assert_eq!(status, 201, "{error}");
    s.stop().await;
}

#[tokio::test]
async fn bad_search_parameters_are_400() {
    let (_d, s, c) = sqlite_server(false).await;
    let key = s.key("ann", "readScans", "").await;
    for q in [
        "outcome=green",
        "value=branch",
        "since=yesterday",
        "limit=0",
        "limit=501",
        "colour=red",
    ] {
        let (status, body) = search(&c, &s, &key, q).await;
        assert_eq!(status, 400, "{q}: {body}");
    }
    s.stop().await;
}

async fn search_by_tag_and_value(backend: Backend) {
    let Some((_db, url)) = database(backend, "scan_search").await else {
        return;
    };
    let s = TestServer::start(&url, false).await;
    let c = reqwest::Client::new();
    let key = s.key("ci", "publishScan,readScans", "").await;
    let release = [("branch", "release")];
    let main = [("branch", "main")];
    let scans = [
        scan(1, None, &["CI"], &release, Outcome::Success),
        scan(2, None, &["CI", "nightly"], &release, Outcome::Failure),
        scan(3, None, &["CI"], &main, Outcome::Success),
        scan(4, None, &["local"], &release, Outcome::Success),
        scan(5, None, &[], &[], Outcome::Success),
        scan(6, None, &["ci"], &release, Outcome::Success),
    ];
    for sc in &scans {
        assert_eq!(publish(&c, &s, &key, sc).await.0, 201);
    }
    let (status, body) = search(&c, &s, &key, "tag=CI&value=branch%3Drelease").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), [scan_id(2), scan_id(1)], "newest first");
    assert_eq!(body["total"], 2);
    let first = &body["scans"][0];
    assert_eq!(first["outcome"], "failure");
    assert_eq!(first["tags"], serde_json::json!(["CI", "nightly"]));
    assert_eq!(first["url"], s.url(&format!("/s/{}", scan_id(2))));
    assert_eq!(first["user"], "ann");
    assert_eq!(first["host"], "build-1");
    assert_eq!(first["command_kind"], "test");
    let (_, body) = search(&c, &s, &key, "tag=CI&tag=nightly").await;
    assert_eq!(ids(&body), [scan_id(2)]);
    let (_, body) = search(&c, &s, &key, "outcome=failure").await;
    assert_eq!(ids(&body), [scan_id(2)]);
    let (_, body) = search(
        &c,
        &s,
        &key,
        "project=plugin-none&user=ann&limit=2&offset=1",
    )
    .await;
    assert_eq!(ids(&body), [scan_id(5), scan_id(4)]);
    assert_eq!(body["total"], 6);
    let (_, body) = search(
        &c,
        &s,
        &key,
        "since=2026-11-20T10:02:00Z&until=2026-11-20T10:04:00Z",
    )
    .await;
    assert_eq!(ids(&body), [scan_id(3), scan_id(2)]);
    let (_, body) = search(&c, &s, &key, "until=2026-11-19").await;
    assert_eq!(body["total"], 0);
    let (_, body) = search(&c, &s, &key, "since=2026-11-20&until=2026-11-20").await;
    assert_eq!(body["total"], 6);
    s.stop().await;
}

#[tokio::test]
async fn search_by_tag_and_custom_value_finds_exactly_the_matching_scans_sqlite() {
    search_by_tag_and_value(Backend::Sqlite).await;
}

#[tokio::test]
async fn search_by_tag_and_custom_value_finds_exactly_the_matching_scans_postgres() {
    search_by_tag_and_value(Backend::Postgres).await;
}

async fn restart_keeps_every_scan(backend: Backend) {
    let Some((_db, url)) = database(backend, "scan_restart").await else {
        return;
    };
    let s = TestServer::start(&url, false).await;
    let c = reqwest::Client::new();
    let key = s.key("ci", "publishScan,readScans", "").await;
    let (_, token) = token_at(&c, &s.url("/api/auth/token"), &key).await;
    for n in 0..20 {
        assert_eq!(
            publish(&c, &s, &key, &scan(n, None, &["CI"], &[], Outcome::Success))
                .await
                .0,
            201
        );
    }
    s.stop().await;
    // Same database, new process state: scans, keys and the signing secret all survive
    // (the token minted before the restart still verifies).
    let s = TestServer::start(&url, false).await;
    let (status, body) = search(&c, &s, &key, "limit=500").await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 20);
    let (status, body) = search(&c, &s, &token, "tag=CI").await;
    assert_eq!((status, body["total"].as_i64()), (200, Some(20)));
    s.stop().await;
}

#[tokio::test]
async fn restart_keeps_every_scan_sqlite() {
    restart_keeps_every_scan(Backend::Sqlite).await;
}

#[tokio::test]
async fn restart_keeps_every_scan_postgres() {
    restart_keeps_every_scan(Backend::Postgres).await;
}

#[tokio::test]
async fn pages_are_self_contained_and_forbid_other_sources_and_framing() {
    let (_d, s, c) = sqlite_server(false).await;
    let key = s.key("ann", "publishScan,readScans", "").await;
    let sc = scan(1, None, &["CI"], &[], Outcome::Failure);
    assert_eq!(publish(&c, &s, &key, &sc).await.0, 201);
    for path in ["/".to_string(), format!("/s/{}", sc.id)] {
        let r = c.get(s.url(&path)).bearer_auth(&key).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let html = r.text().await.unwrap();
        assert!(
            !html.contains("<link") && !html.contains(" src="),
            "{path}: external asset"
        );
    }
    // Signed out: the sign-in form, never the list.
    let r = c.get(s.url("/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("action=\"/login\"") && !html.contains(&sc.id));
    s.stop().await;
}

#[tokio::test]
async fn sign_in_sets_a_cookie_with_a_token_never_the_key_and_only_redirects_locally() {
    let (_d, s, _) = sqlite_server(false).await;
    let key = s.key("ann", "readScans", "").await;
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = |next: &'static str, token: String| {
        c.post(s.url("/login"))
            .form(&[("token", token.as_str()), ("next", next)])
            .send()
    };
    let r = login("/?tag=CI", key.clone()).await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/?tag=CI");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains(&key), "the cookie holds the key");
    let session = cookie
        .strip_prefix("devlake_scan_session=")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    assert_eq!(claims(&session)["sub"], "ann");
    // The cookie opens the pages; the API wants a Bearer header.
    let page = c
        .get(s.url("/"))
        .header("cookie", format!("devlake_scan_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let api = c
        .get(s.url("/api/scans"))
        .header("cookie", format!("devlake_scan_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 401);
    // Only local paths are followed after sign-in.
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let r = c
            .post(s.url("/login"))
            .form(&[("token", key.as_str()), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/", "{next}");
    }
    // A bad credential: the form again, 401, nothing echoed.
    let r = login("/", "not-a-real-token".into()).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("malformed access token") && !html.contains("not-a-real-token"));
    s.stop().await;
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    let (_d, s, c) = sqlite_server(false).await;
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    let key = create_key(&s.db, "ann", "readScans", "", Some(past)).await;
    let (status, body) = search(&c, &s, &key, "").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "unknown, revoked or expired access key");
    s.stop().await;
}

#[tokio::test]
async fn a_public_url_makes_the_links_and_a_secure_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let config = devlake_scan_server::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        db: sqlite_in(&dir),
        project_access_control: false,
        public_url: Some("https://scans.example.com/".into()),
        max_concurrent_uploads: 8,
    };
    let bad = devlake_scan_server::Config {
        public_url: Some("ftp://scans.example.com".into()),
        ..config.clone()
    };
    let err = devlake_scan_server::Server::bind(bad).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "--public-url must be an http:// or https:// URL"
    );
    let s = TestServer::start_with(config).await;
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let key = s.key("ci", "publishScan,readScans", "").await;
    let sc = scan(1, None, &[], &[], Outcome::Success);
    let (_, body) = publish(&c, &s, &key, &sc).await;
    assert_eq!(
        body["url"],
        format!("https://scans.example.com/s/{}", sc.id)
    );
    let r = c
        .post(s.url("/login"))
        .form(&[("token", key.as_str())])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    s.stop().await;
}

#[tokio::test]
async fn the_list_page_filters_by_every_field_and_keeps_filters_in_links() {
    let (_d, s, c) = sqlite_server(false).await;
    let key = s.key("ann", "publishScan,readScans", "").await;
    let release = [("branch", "release")];
    for sc in [
        scan(1, None, &["CI"], &release, Outcome::Failure),
        scan(2, None, &["CI"], &release, Outcome::Success),
        scan(3, Some("p"), &["local"], &[], Outcome::Success),
    ] {
        assert_eq!(publish(&c, &s, &key, &sc).await.0, 201);
    }
    let page = |q: &'static str| {
        let c = c.clone();
        let url = s.url(&format!("/?{q}"));
        let key = key.clone();
        async move {
            let r = c.get(url).bearer_auth(key).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200, "{q}");
            r.text().await.unwrap()
        }
    };
    for (q, found) in [
        ("", "3 scans found"),
        ("tag=CI&value=branch%3Drelease", "2 scans found"),
        (
            "tag=CI&value=branch%3Drelease&outcome=failure",
            "1 scan found",
        ),
        ("project=plugin-p", "1 scan found"),
        (
            "user=ann&since=2026-11-20&until=2026-11-20",
            "3 scans found",
        ),
        ("until=2026-11-19", "0 scans found"),
        (
            "project=&tag=&value=&outcome=&user=&since=&until=",
            "3 scans found",
        ),
    ] {
        let html = page(q).await;
        assert!(html.contains(found), "{q}: wants {found}");
    }
    // Active tag and value filters are kept by the form and removable one by one.
    let html = page("tag=CI&value=branch%3Drelease").await;
    assert!(html.contains("<input type=\"hidden\" name=\"tag\" value=\"CI\">"));
    assert!(html.contains("<input type=\"hidden\" name=\"value\" value=\"branch=release\">"));
    assert!(
        html.contains("href=\"/?value=branch%3Drelease\""),
        "removing the tag keeps the value"
    );
    // A bad filter is said on the page, not a crash.
    let html = page("outcome=green").await;
    assert!(html.contains("outcome must be success, failure or error"));
    s.stop().await;
}

#[tokio::test]
async fn uploads_beyond_the_concurrency_limit_are_429_with_retry_after() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start_with(devlake_scan_server::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        db: sqlite_in(&dir),
        project_access_control: false,
        public_url: None,
        max_concurrent_uploads: 1,
    })
    .await;
    let c = reqwest::Client::new();
    let key = s.key("ci", "publishScan,readScans", "").await;
    // One upload in progress: the server has asked for its body (100 Continue).
    let body = serde_json::to_vec(&scan(1, None, &[], &[], Outcome::Success)).unwrap();
    let mut conn = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /api/scans HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut interim = [0u8; 25];
    conn.read_exact(&mut interim).await.unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    // Another one now: refused for the moment, with when to retry.
    let second = scan(2, None, &[], &[], Outcome::Success);
    let r = c
        .post(s.url("/api/scans"))
        .bearer_auth(&key)
        .json(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    // The first completes; then the retry is taken.
    conn.write_all(&body).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert_eq!(publish(&c, &s, &key, &second).await.0, 201);
    s.stop().await;
}
