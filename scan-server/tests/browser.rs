//! A real browser (headless Chromium driven through chromedriver's WebDriver API) signs in,
//! loads the scan list, filters it by a tag, opens a scan and sees its failed test.
//! Skips loudly when Chromium or chromedriver is missing, except under `CI=true`.

mod common;

use common::*;
use devlake_scan::Outcome;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/lib/chromium/chromium";
/// The W3C WebDriver element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process with one headless Chromium session.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Option<Browser> {
        let missing = [CHROMEDRIVER, CHROMIUM]
            .into_iter()
            .find(|p| !Path::new(p).exists());
        if let Some(p) = missing {
            if devlake::testing::db::ci() {
                panic!("CI=true: {p} is required for the browser test");
            }
            eprintln!("\n*** SKIPPING browser test: {p} is not installed ***\n");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        // Wait for the driver to answer (a readiness condition, not a timing assertion).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "chromedriver did not start"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_string();
        Some(Browser {
            driver,
            base,
            session,
            http,
            _profile: profile,
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if !body.is_null() {
            req = req.json(&body);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(
            r["value"].get("error").is_none(),
            "WebDriver {path}: {}",
            r["value"]
        );
        r["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/elements",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e[ELEMENT].as_str().unwrap().to_string())
            .collect()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            json!({}),
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{e}/text"),
            Value::Null,
        )
        .await
        .as_str()
        .unwrap()
        .to_string()
    }

    async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Waits until the page's URL satisfies `done` (a navigation a click started may still
    /// be under way when the click returns), and returns it.
    async fn wait_for_url(&self, done: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let url = self.current_url().await;
            if done(&url) {
                return url;
            }
            assert!(std::time::Instant::now() < deadline, "still at {url}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits until an element matching `css` is on the page.
    async fn wait_for(&self, css: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.find_all(css).await.is_empty() {
            assert!(std::time::Instant::now() < deadline, "no {css} on the page");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test]
async fn a_browser_signs_in_filters_by_tag_and_opens_a_failed_scan() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(&sqlite_in(&dir), false).await;
    let c = reqwest::Client::new();
    let key = s.key("ann", "publishScan,readScans", "").await;
    let failed = scan(1, None, &["CI"], &[("branch", "release")], Outcome::Failure);
    let other = scan(2, None, &["local"], &[], Outcome::Success);
    for sc in [&failed, &other] {
        assert_eq!(publish(&c, &s, &key, sc).await.0, 201);
    }

    // Unauthenticated: the sign-in form; the key goes in, a session cookie comes back.
    browser.goto(&s.url("/")).await;
    browser.type_into("input[name=token]", &key).await;
    browser.click("form[action='/login'] button").await;
    // The sign-in page was at / too: wait for the list itself.
    browser.wait_for("#count").await;
    assert_eq!(browser.current_url().await, s.url("/"));
    assert_eq!(browser.find_all("tr.scan").await.len(), 2);
    assert_eq!(browser.text("#count").await, "2 scans found");

    // Filter by a tag through the form: the filter lands in the URL.
    browser
        .type_into("form.filters input[name=tag]", "CI")
        .await;
    browser.click("form.filters button").await;
    browser.wait_for_url(|u| u.contains("tag=CI")).await;
    assert_eq!(browser.find_all("tr.scan").await.len(), 1);
    assert_eq!(browser.text("#count").await, "1 scan found");
    // The filter URL is stable: loading it again shows the same list.
    browser.goto(&s.url("/?tag=CI")).await;
    assert_eq!(browser.find_all("tr.scan").await.len(), 1);

    // Open the scan: its page is the report, with the failed test.
    browser
        .click(&format!("tr.scan a[href='/s/{}']", failed.id))
        .await;
    browser
        .wait_for_url(|u| u == s.url(&format!("/s/{}", failed.id)))
        .await;
    let page = browser.source().await;
    assert!(page.contains("FAILED"), "{page}");
    assert!(
        page.contains("tests::it_fails"),
        "the failed test is shown: {page}"
    );
    s.stop().await;
}
