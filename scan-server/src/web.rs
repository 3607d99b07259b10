//! The web UI: server-rendered pages with inline CSS and no script or external asset.
//!
//! `GET /` lists scans with filters whose state lives in the URL (so a filtered list is a
//! link one can share); `GET /s/{id}` is the scan's report, exactly
//! [`devlake_scan::report::render_html`]. A browser signs in once with an access key or
//! token (`POST /login`); the server answers with a token of its own in an HttpOnly cookie,
//! so the key never stays in the browser.

use crate::search::{Access, Filter, ScanSummary};
use crate::server::{ApiError, AppState, SESSION_COOKIE};
use crate::token::TokenRequest;
use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use devlake_scan::report::escape;
use devlake_scan::Scan;
use std::collections::HashMap;
use std::sync::Arc;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}\
header{background:#1f2d3d;color:#fff;padding:10px 20px;display:flex;justify-content:space-between;align-items:center}\
header a{color:#fff;text-decoration:none;font-weight:600}main{padding:16px 20px}\
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin-bottom:12px}\
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#555}\
input,select,button{font:inherit;padding:4px 6px}table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e3e3;vertical-align:top}\
th{font-size:12px;color:#555;text-transform:uppercase}.o{font-weight:700;padding:1px 6px;border-radius:3px;color:#fff}\
.o-success{background:#2e7d32}.o-failure{background:#c62828}.o-error{background:#6a1b9a}\
.tag{display:inline-block;background:#e8eef5;border-radius:3px;padding:0 5px;margin:1px;color:#1f2d3d;text-decoration:none}\
.chip{display:inline-block;background:#fff3cd;border-radius:3px;padding:0 6px;margin-right:4px}\
.chip a{color:#900;text-decoration:none;margin-left:4px}.muted{color:#777}.err{color:#c62828}\
.pager{margin-top:12px;display:flex;gap:12px}";

fn page(title: &str, signed_in: bool, body: &str) -> String {
    let logout = if signed_in {
        "<form method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form>"
    } else {
        ""
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\
         <header><a href=\"/\">Build Scans</a>{logout}</header><main>{body}</main></body></html>",
        escape(title)
    )
}

/// The value of cookie `name` in a request.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// A page's visitor: signed in, or shown the sign-in form (with why, and where to go back).
async fn visitor(
    st: &AppState,
    headers: &HeaderMap,
    back_to: &str,
) -> Result<crate::auth::Credential, Response> {
    match st.credential(headers, true).await {
        Ok(Some(cred)) => Ok(cred),
        Ok(None) => Err(login_page(StatusCode::UNAUTHORIZED, None, back_to, false)),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Err(login_page(
            StatusCode::UNAUTHORIZED,
            Some(&format!("{} — sign in again.", e.message)),
            back_to,
            true,
        )),
        Err(e) => Err(e.into_response()),
    }
}

fn login_page(status: StatusCode, error: Option<&str>, next: &str, clear: bool) -> Response {
    let error = error
        .map(|e| format!("<p class=\"err\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign in</h1>{error}<p>Paste an access key or an access token. The server keeps \
         a short-lived token of its own in a cookie, never the key.</p>\
         <form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"next\" value=\"{}\">\
         <input type=\"password\" name=\"token\" size=\"70\" autocomplete=\"off\" required> \
         <button type=\"submit\">Sign in</button></form>",
        escape(next)
    );
    let mut resp = (status, Html(page("Sign in - Build Scans", false, &body))).into_response();
    if clear {
        resp.headers_mut().insert(
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
                .parse()
                .expect("a valid header"),
        );
    }
    resp
}

/// `POST /login`: form fields `token` (an access key or token) and `next` (a local path).
pub(crate) async fn login(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let next = form
        .get("next")
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .cloned()
        .unwrap_or_else(|| "/".into());
    let presented = form.get("token").map(|t| t.trim()).unwrap_or_default();
    let cred = match st.verify(presented, &headers).await {
        Ok(cred) => cred,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            return login_page(StatusCode::UNAUTHORIZED, Some(&e.message), &next, false)
        }
        Err(e) => return e.into_response(),
    };
    let grant = match TokenRequest::default().grant(&cred, st.project_access_control, Utc::now()) {
        Ok(g) => g,
        Err(m) => return login_page(StatusCode::FORBIDDEN, Some(&m), &next, false),
    };
    let token = match st.sign(&grant, &headers) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let max_age = grant
        .expires_at
        .map(|e| (e - Utc::now()).num_seconds().max(0))
        .unwrap_or(0);
    let secure = if st.secure_cookies() { "; Secure" } else { "" };
    tracing::info!(key_id = %cred.key_id, "web sign-in");
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, next),
            (
                header::SET_COOKIE,
                format!(
                    "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
                ),
            ),
        ],
    )
        .into_response()
}

/// `POST /logout`: clears the session cookie.
pub(crate) async fn logout() -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/".to_string()),
            (
                header::SET_COOKIE,
                format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
            ),
        ],
    )
        .into_response()
}

/// `GET /s/{id}`: the scan's report.
pub(crate) async fn scan_page(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let cred = match visitor(&st, &headers, &format!("/s/{id}")).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let doc = match st.readable_document(&cred, &id).await {
        Ok(Some(doc)) => doc,
        Ok(None) => {
            let body = "<h1>No such scan</h1><p>It does not exist, or this credential may not \
                        read it.</p><p><a href=\"/\">All scans</a></p>";
            return (StatusCode::NOT_FOUND, Html(page("Not found", true, body))).into_response();
        }
        Err(e) => return e.into_response(),
    };
    match Scan::from_json(doc.as_bytes()) {
        Ok(scan) => Html(devlake_scan::report::render_html(&scan)).into_response(),
        Err(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("stored scan cannot be read by this server version: {e}"),
        )
        .into_response(),
    }
}

/// `GET /`: the scan list with filters.
pub(crate) async fn list_page(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let back_to = if query.is_empty() {
        "/".to_string()
    } else {
        format!("/?{query}")
    };
    let cred = match visitor(&st, &headers, &back_to).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let (filter, error) = match Filter::parse(&query) {
        Ok(f) => (f, None),
        Err(m) => (Filter::parse("").expect("the empty filter"), Some(m)),
    };
    let access = Access::of(&cred, st.project_access_control);
    let (scans, total) = match st.store.search(&filter, &access, "").await {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut body = String::from("<h1>Build Scans</h1>");
    if access == Access::Nothing {
        body.push_str("<p class=\"err\">This credential lacks the readScans permission.</p>");
    }
    if let Some(m) = error {
        body.push_str(&format!("<p class=\"err\">{}</p>", escape(&m)));
    }
    body.push_str(&filter_form(&filter));
    body.push_str(&format!(
        "<p class=\"muted\" id=\"count\">{total} scan{} found</p>",
        if total == 1 { "" } else { "s" }
    ));
    body.push_str(&scan_table(&scans));
    body.push_str(&pager(&filter, total));
    Html(page("Build Scans", true, &body)).into_response()
}

fn filter_form(f: &Filter) -> String {
    // Active tag and value filters are chips (each removable by a link) kept as hidden
    // fields, so the form adds to them rather than replacing them.
    let mut chips = String::new();
    let mut hidden = String::new();
    for (i, t) in f.tags.iter().enumerate() {
        let mut without = f.clone();
        without.tags.remove(i);
        without.offset = 0;
        chips.push_str(&chip(&format!("tag: {t}"), &without));
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"tag\" value=\"{}\">",
            escape(t)
        ));
    }
    for (i, (n, v)) in f.values.iter().enumerate() {
        let mut without = f.clone();
        without.values.remove(i);
        without.offset = 0;
        chips.push_str(&chip(&format!("{n} = {v}"), &without));
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"value\" value=\"{}\">",
            escape(&format!("{n}={v}"))
        ));
    }
    let text = |v: &Option<String>| escape(v.as_deref().unwrap_or(""));
    let date = |d: Option<chrono::DateTime<Utc>>, until: bool| {
        d.map(|d| {
            // A date `until` is kept as the next midnight (exclusive); the form shows the
            // last day included.
            let midnight = d.time() == chrono::NaiveTime::MIN;
            let d = if until && midnight {
                d - chrono::Duration::days(1)
            } else {
                d
            };
            d.format("%Y-%m-%d").to_string()
        })
        .unwrap_or_default()
    };
    let outcome = |o: &str| {
        let selected = f.outcome.map(|x| x.as_str()) == Some(o);
        format!(
            "<option value=\"{o}\"{}>{o}</option>",
            if selected { " selected" } else { "" }
        )
    };
    format!(
        "<div id=\"active\">{chips}</div><form class=\"filters\" method=\"get\" action=\"/\">{hidden}\
         <label>Project<input name=\"project\" value=\"{}\"></label>\
         <label>Tag<input name=\"tag\" placeholder=\"CI\"></label>\
         <label>Custom value<input name=\"value\" placeholder=\"branch=release\"></label>\
         <label>Outcome<select name=\"outcome\"><option value=\"\">any</option>{}{}{}</select></label>\
         <label>User<input name=\"user\" value=\"{}\"></label>\
         <label>Since<input type=\"date\" name=\"since\" value=\"{}\"></label>\
         <label>Until<input type=\"date\" name=\"until\" value=\"{}\"></label>\
         <button type=\"submit\">Filter</button> <a href=\"/\">Clear</a></form>",
        text(&f.project),
        outcome("success"),
        outcome("failure"),
        outcome("error"),
        text(&f.user),
        date(f.since, false),
        date(f.until, true),
    )
}

fn chip(label: &str, without: &Filter) -> String {
    format!(
        "<span class=\"chip\">{}<a href=\"{}\" title=\"remove\">×</a></span>",
        escape(label),
        escape(&list_url(without))
    )
}

fn list_url(f: &Filter) -> String {
    let q = f.to_query();
    if q.is_empty() {
        "/".into()
    } else {
        format!("/?{q}")
    }
}

fn scan_table(scans: &[ScanSummary]) -> String {
    let mut rows = String::new();
    for s in scans {
        let tags: String = s
            .tags
            .iter()
            .map(|t| {
                let only = Filter {
                    tags: vec![t.clone()],
                    ..Filter::parse("").expect("the empty filter")
                };
                format!(
                    "<a class=\"tag\" href=\"{}\">{}</a>",
                    escape(&list_url(&only)),
                    escape(t)
                )
            })
            .collect();
        let started = chrono::DateTime::parse_from_rfc3339(&s.started_at)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|_| s.started_at.clone());
        rows.push_str(&format!(
            "<tr class=\"scan\"><td><a href=\"/s/{id}\">{started}</a></td><td>{project}</td>\
             <td><span class=\"o o-{outcome}\">{outcome}</span></td><td>{kind}</td><td>{user}</td>\
             <td>{host}</td><td>{tags}</td><td>{secs:.1} s</td></tr>",
            id = escape(&s.id),
            project = escape(s.project.as_deref().unwrap_or("(N/A)")),
            outcome = escape(&s.outcome),
            kind = escape(&s.command_kind),
            user = escape(s.user.as_deref().unwrap_or("")),
            host = escape(s.host.as_deref().unwrap_or("")),
            secs = s.duration_ms as f64 / 1000.0,
        ));
    }
    format!(
        "<table><thead><tr><th>Started</th><th>Project</th><th>Outcome</th><th>Command</th>\
         <th>User</th><th>Host</th><th>Tags</th><th>Duration</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

fn pager(f: &Filter, total: i64) -> String {
    let mut out = String::from("<div class=\"pager\">");
    if f.offset > 0 {
        let prev = Filter {
            offset: (f.offset - f.limit).max(0),
            ..f.clone()
        };
        out.push_str(&format!(
            "<a href=\"{}\">← Newer</a>",
            escape(&list_url(&prev))
        ));
    }
    if f.offset + f.limit < total {
        let next = Filter {
            offset: f.offset + f.limit,
            ..f.clone()
        };
        out.push_str(&format!(
            "<a href=\"{}\">Older →</a>",
            escape(&list_url(&next))
        ));
    }
    out.push_str("</div>");
    out
}
