//! The self-contained HTML report of a scan: one page, inline CSS and JS, no network fetch.
//! The local report and the scan server's scan page are both this page.

use crate::model::Scan;

/// Renders `scan` as one self-contained HTML page.
///
/// Placeholder until the full report lands (outcome banner, command, environment,
/// tags/links/values, test table, console, timeline).
pub fn render_html(scan: &Scan) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{} - Build Scan</title></head><body><h1>{}</h1></body></html>",
        escape(scan.project_label()),
        scan.outcome.banner()
    )
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
