//! Issue 12 item 6: a server that echoes the request (headers, URL, body) in its error
//! bodies leaks no secret through the client: not in errors, not in the INFO line of a
//! retried 5xx, not in connection-test messages. Real server on 127.0.0.1.

#[path = "support/http_server.rs"]
mod http_server;

use axum::extract::Request as AxumRequest;
use axum::routing::any;
use axum::Router;
use devlake::api::{ApiClient, Method, RetryPolicy};
use http_server::{json_response, serve, Recorder};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRETS: [&str; 4] = [
    "BearTok789",    // Authorization: Bearer, set on the request
    "PrivTok456",    // a secret header of the client
    "QueryTok321",   // a token-like query parameter
    "ConnSecret000", // the connection's secret, in the body, declared to the client
];

/// Answers `status` with the whole request echoed: headers, URI and body.
fn echo_with(status: u16, recorder: Recorder) -> Router {
    Router::new().fallback(any(move |req: AxumRequest| {
        let recorder = recorder.clone();
        async move {
            let seen = recorder.record(req).await;
            json_response(
                status,
                &[],
                json!({"message": format!("bad request {} {:?} {}", seen.uri, seen.headers, seen.body)}),
            )
        }
    }))
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what}: {s} leaked: {text}");
    }
}

async fn call(status: u16) -> (String, String, String) {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let rec = Recorder::default();
    let base = serve(echo_with(status, rec.clone())).await;
    let api = ApiClient::builder(&base)
        .secret_header("PRIVATE-TOKEN", "PrivTok456")
        .secret("ConnSecret000")
        .retry(
            RetryPolicy::default()
                .max_retries(1)
                .backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let mut req = api
        .request(Method::PUT, ["echo"])
        .query("access_token", "QueryTok321")
        .json(json!({"client_secret": "ConnSecret000"}));
    req.bearer_auth("BearTok789").unwrap();
    let err = api.send(req.clone()).await.unwrap_err().to_string();
    let tested = api
        .send_unchecked(req)
        .await
        .unwrap()
        .to_test_connection_result()
        .message;
    // The server did see every secret: the test would prove nothing otherwise.
    let seen = format!("{:?}", rec.all());
    for s in SECRETS {
        assert!(seen.contains(s), "the request carried {s}: {seen}");
    }
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (err, tested, logs)
}

#[tokio::test]
async fn echoed_secrets_are_redacted_from_a_4xx_error() {
    let (err, tested, logs) = call(400).await;
    assert!(err.contains("HTTP 400") && err.contains("***"), "{err}");
    assert!(tested.contains("HTTP 400"), "{tested}");
    assert_clean("error", &err);
    assert_clean("test-connection message", &tested);
    assert_clean("logs", &logs);
}

#[tokio::test]
async fn echoed_secrets_are_redacted_from_a_retried_5xx() {
    let (err, tested, logs) = call(500).await;
    assert!(err.contains("HTTP 500") && err.contains("***"), "{err}");
    assert!(
        logs.contains("INFO") && logs.contains("retrying") && logs.contains("***"),
        "the retry is logged at INFO: {logs}"
    );
    assert_clean("error", &err);
    assert_clean("test-connection message", &tested);
    assert_clean("INFO log of the retry", &logs);
}
