//! The self-contained HTML report of a scan: one page, inline CSS and JS, no network fetch
//! (a Content-Security-Policy forbids any). The local report and the scan server's scan page
//! are both this page.
//!
//! The page is rendered here, whole: it reads without JavaScript. The script only sorts and
//! filters the test table and searches the console. Every text from the scan is
//! HTML-escaped.

use crate::model::{Outcome, Scan, TestCase, TestOutcome};
use std::fmt::Write;

const CSS: &str = r#"
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f4f5f7}
main{max-width:1200px;margin:0 auto;padding:0 16px 40px}
.banner{padding:18px 24px;color:#fff;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
.banner.success{background:#1f8a4c}.banner.failure{background:#c62828}.banner.error{background:#8e24aa}
.banner .outcome{font-size:26px;font-weight:700;letter-spacing:.04em}
.banner .meta{opacity:.92}
section{background:#fff;border-radius:6px;margin:16px 0;padding:12px 18px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:16px;margin:4px 0 10px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e6e8eb;vertical-align:top}
th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:" \2195";opacity:.4}
.tag{display:inline-block;background:#e3ecfa;color:#1a4b8c;border-radius:10px;padding:1px 9px;margin:2px}
.passed{color:#1f8a4c}.failed{color:#c62828;font-weight:600}.ignored{color:#8a8f98}
code,pre{font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre.output{background:#1e1e1e;color:#eee;padding:8px;overflow:auto;max-height:420px;white-space:pre-wrap}
#console{background:#1e1e1e;color:#ddd;padding:8px;overflow:auto;max-height:640px}
#console .l{white-space:pre-wrap;word-break:break-all}#console .l.stderr{color:#f0c4c4}
#console .l .t{color:#777;user-select:none;margin-right:8px}#console .hidden,tr.hidden{display:none}
mark{background:#ffd54f;color:#000}
.truncated{background:#ffe082;color:#000;padding:4px 8px;font-weight:600}
.warn{color:#9a5b00}
.tl{position:relative;height:22px;margin:3px 0;background:#f0f1f3}
.tl .bar{position:absolute;top:0;bottom:0;background:#4f83cc;border-radius:3px}
.tl .bar.failure,.tl .bar.error{background:#c62828}
.tl .label{position:absolute;left:6px;top:2px;font-size:12px;white-space:nowrap}
.b{font-weight:700}.i{font-style:italic}.u{text-decoration:underline}.dim{opacity:.7}
.f0{color:#555}.f1{color:#ef5350}.f2{color:#66bb6a}.f3{color:#fdd835}.f4{color:#42a5f5}.f5{color:#ba68c8}.f6{color:#26c6da}.f7{color:#eee}
.controls{margin-bottom:8px;display:flex;gap:8px;align-items:center}
"#;

const JS: &str = r#"
(function(){
  // Filters can come in the URL's fragment, to share a view: #test=..&outcome=failed&sort=3&console=..
  var h={};
  location.hash.replace(/^#/,'').split('&').forEach(function(p){
    var i=p.indexOf('=');if(i>0)h[decodeURIComponent(p.slice(0,i))]=decodeURIComponent(p.slice(i+1));});
  var table=document.getElementById('tests');
  if(table){
    var body=table.tBodies[0];
    var ths=table.tHead.rows[0].cells;
    for(var i=0;i<ths.length;i++){(function(col){
      ths[col].addEventListener('click',function(){
        var asc=ths[col].getAttribute('data-dir')!=='asc';
        for(var j=0;j<ths.length;j++)ths[j].removeAttribute('data-dir');
        ths[col].setAttribute('data-dir',asc?'asc':'desc');
        var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){
          var x=a.cells[col].getAttribute('data-sort')||a.cells[col].textContent;
          var y=b.cells[col].getAttribute('data-sort')||b.cells[col].textContent;
          var nx=parseFloat(x),ny=parseFloat(y);
          var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
          return asc?c:-c;});
        rows.forEach(function(r){body.appendChild(r);});
      });})(i);}
    var q=document.getElementById('test-filter'),o=document.getElementById('test-outcome');
    var apply=function(){
      var text=q.value.toLowerCase(),want=o.value,shown=0;
      Array.prototype.forEach.call(body.rows,function(r){
        var ok=(!want||r.getAttribute('data-outcome')===want)&&r.textContent.toLowerCase().indexOf(text)>=0;
        r.classList.toggle('hidden',!ok);if(ok)shown++;});
      document.getElementById('test-shown').textContent=shown+' shown';};
    q.addEventListener('input',apply);o.addEventListener('change',apply);
    if(h.test)q.value=h.test;
    if(h.outcome)o.value=h.outcome;
    apply();
    if(h.sort&&ths[+h.sort]){ths[+h.sort].click();if(h.desc)ths[+h.sort].click();}
  }
  var cs=document.getElementById('console-search');
  if(cs){
    var lines=document.querySelectorAll('#console .l');
    var search=function(){
      var text=cs.value.toLowerCase(),n=0;
      Array.prototype.forEach.call(lines,function(l){
        var ok=!text||l.textContent.toLowerCase().indexOf(text)>=0;
        l.classList.toggle('hidden',!ok);if(ok&&text)n++;});
      document.getElementById('console-count').textContent=text?n+' matching lines':'';};
    cs.addEventListener('input',search);
    if(h.console){cs.value=h.console;search();}
  }
})();
"#;

/// Renders `scan` as one self-contained HTML page.
pub fn render_html(scan: &Scan) -> String {
    let mut h = String::with_capacity(64 * 1024 + scan.console.lines.len() * 120);
    let outcome = scan.outcome.as_str();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} {} - Build Scan</title><style>{CSS}</style></head><body>",
        escape(scan.project_label()),
        scan.outcome.banner()
    );
    let (passed, failed, ignored) = scan.test_counts();
    let _ = write!(
        h,
        "<header class=\"banner {outcome}\" id=\"banner\"><span class=\"outcome\" id=\"outcome\">{}</span>\
<span class=\"meta\">{} &middot; <code>{}</code> &middot; {} &middot; {} &middot; exit code {}</span>",
        scan.outcome.banner(),
        escape(scan.project_label()),
        escape(&scan.command.kind),
        escape(&scan.started_at.to_rfc3339()),
        duration(scan.duration_ms),
        scan.exit_code
    );
    if !scan.tests.is_empty() {
        let _ = write!(
            h,
            "<span class=\"meta\">{passed} passed, {failed} failed, {ignored} ignored</span>"
        );
    }
    h.push_str("</header><main>");

    // Tags, links, custom values, warnings.
    h.push_str("<section id=\"custom\"><h2>Tags, links and values</h2>");
    if scan.tags.is_empty() && scan.links.is_empty() && scan.custom_values.is_empty() {
        h.push_str("<p>None.</p>");
    }
    if !scan.tags.is_empty() {
        h.push_str("<div id=\"tags\">");
        for t in &scan.tags {
            let _ = write!(h, "<span class=\"tag\">{}</span>", escape(t));
        }
        h.push_str("</div>");
    }
    if !scan.links.is_empty() || !scan.custom_values.is_empty() {
        h.push_str("<table id=\"values\"><tbody>");
        for l in &scan.links {
            let _ = write!(
                h,
                "<tr><th>{}</th><td><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></td></tr>",
                escape(&l.name),
                escape(&l.url),
                escape(&l.url)
            );
        }
        for v in &scan.custom_values {
            let _ = write!(
                h,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(&v.name),
                escape(&v.value)
            );
        }
        h.push_str("</tbody></table>");
    }
    if !scan.warnings.is_empty() {
        h.push_str("<ul id=\"warnings\">");
        for w in &scan.warnings {
            let _ = write!(h, "<li class=\"warn\">{}</li>", escape(w));
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>");

    // Command and environment.
    let e = &scan.environment;
    let git = e.git.as_ref().map(|g| {
        format!(
            "{} on {}{}",
            g.commit.as_deref().unwrap_or("(no commit)"),
            g.branch.as_deref().unwrap_or("(detached)"),
            if g.dirty { ", dirty" } else { "" }
        )
    });
    let rows: Vec<(&str, String)> = vec![
        ("Command", scan.command.argv.join(" ")),
        ("Working directory", scan.command.cwd.clone()),
        ("Project id", scan.project.id.clone().unwrap_or_default()),
        (
            "Tool",
            format!(
                "{} {} (runtime {})",
                scan.tool.name,
                scan.tool.version,
                scan.tool.runtime_version.as_deref().unwrap_or("?")
            ),
        ),
        ("User", e.username.clone().unwrap_or_default()),
        ("Host", e.hostname.clone().unwrap_or_default()),
        (
            "Operating system",
            format!(
                "{} {} {}",
                e.os.platform,
                e.os.release.as_deref().unwrap_or(""),
                e.os.arch
            ),
        ),
        (
            "CPUs",
            e.cpu_count.map(|c| c.to_string()).unwrap_or_default(),
        ),
        ("rustc", e.rustc.clone().unwrap_or_default()),
        ("cargo", e.cargo.clone().unwrap_or_default()),
        ("CI", if e.ci { "yes" } else { "no" }.to_string()),
        ("Git", git.unwrap_or_default()),
        ("Scan id", scan.id.clone()),
    ];
    h.push_str("<section id=\"environment\"><h2>Command and environment</h2><table><tbody>");
    for (k, v) in rows {
        let _ = write!(
            h,
            "<tr><th>{k}</th><td><code>{}</code></td></tr>",
            escape(&v)
        );
    }
    h.push_str("</tbody></table></section>");

    if !scan.tests.is_empty() {
        tests_section(&mut h, &scan.tests);
    }
    if let Some(run) = &scan.run {
        h.push_str("<section id=\"run\"><h2>Run</h2>");
        let _ = write!(
            h,
            "<p>Migrations applied: {}</p>",
            if run.migrations.is_empty() {
                "none".to_string()
            } else {
                escape(&run.migrations.join(", "))
            }
        );
        h.push_str("<table><thead><tr><th>Scope</th><th>Subtask</th><th>Records</th><th>Duration</th><th>Outcome</th></tr></thead><tbody>");
        for s in &run.subtasks {
            let _ =
                write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}{}</td></tr>",
                escape(&s.scope),
                escape(&s.subtask),
                s.records,
                duration(s.duration_ms),
                if s.outcome == Outcome::Success { "passed" } else { "failed" },
                s.outcome.banner(),
                s.error
                    .as_deref()
                    .map(|e| format!(": {}", escape(e)))
                    .unwrap_or_default()
            );
        }
        h.push_str("</tbody></table></section>");
    }
    if !scan.timeline.is_empty() {
        timeline_section(&mut h, scan);
    }
    console_section(&mut h, scan);
    let _ = write!(h, "</main><script>{JS}</script></body></html>");
    h
}

fn tests_section(h: &mut String, tests: &[TestCase]) {
    h.push_str(
        "<section id=\"tests-section\"><h2>Tests</h2><div class=\"controls\">\
<input id=\"test-filter\" type=\"search\" placeholder=\"Filter tests\">\
<select id=\"test-outcome\"><option value=\"\">all</option><option value=\"failed\">failed</option>\
<option value=\"passed\">passed</option><option value=\"ignored\">ignored</option></select>\
<span id=\"test-shown\"></span></div>\
<table id=\"tests\"><thead><tr><th class=\"sortable\">Outcome</th><th class=\"sortable\">Suite</th>\
<th class=\"sortable\">Test</th><th class=\"sortable\">Duration</th></tr></thead><tbody>",
    );
    let mut order: Vec<&TestCase> = tests.iter().collect();
    let rank = |o: TestOutcome| match o {
        TestOutcome::Failed => 0,
        TestOutcome::Passed => 1,
        TestOutcome::Ignored => 2,
    };
    order.sort_by_key(|t| rank(t.outcome));
    for t in order {
        let o = match t.outcome {
            TestOutcome::Passed => "passed",
            TestOutcome::Failed => "failed",
            TestOutcome::Ignored => "ignored",
        };
        let _ = write!(
            h,
            "<tr class=\"test\" data-outcome=\"{o}\"><td class=\"{o}\" data-sort=\"{}\">{}</td><td>{}</td><td><code>{}</code>",
            rank(t.outcome),
            o.to_uppercase(),
            escape(&t.suite),
            escape(&t.name)
        );
        if let Some(out) = &t.output {
            let _ = write!(
                h,
                "<details open><summary>output</summary><pre class=\"output\">{}</pre></details>",
                ansi_to_html(out)
            );
        }
        let _ = write!(
            h,
            "</td><td data-sort=\"{}\">{}</td></tr>",
            t.duration_ms.map(|d| d as i64).unwrap_or(-1),
            t.duration_ms.map(duration).unwrap_or_default()
        );
    }
    h.push_str("</tbody></table></section>");
}

fn timeline_section(h: &mut String, scan: &Scan) {
    let end = scan
        .timeline
        .iter()
        .map(|s| s.start_ms + s.duration_ms)
        .max()
        .unwrap_or(0)
        .max(scan.duration_ms)
        .max(1) as f64;
    h.push_str("<section id=\"timeline\"><h2>Timeline</h2>");
    for s in &scan.timeline {
        let left = s.start_ms as f64 / end * 100.0;
        let width = (s.duration_ms as f64 / end * 100.0).max(0.4);
        let _ = write!(
            h,
            "<div class=\"tl\" title=\"{} ({})\"><div class=\"bar {}\" style=\"left:{left:.2}%;width:{width:.2}%\"></div><span class=\"label\">{} &middot; {} &middot; {}</span></div>",
            escape(&s.name),
            escape(&s.kind),
            s.outcome.as_str(),
            escape(&s.name),
            duration(s.duration_ms),
            s.outcome.banner()
        );
    }
    h.push_str("</section>");
}

fn console_section(h: &mut String, scan: &Scan) {
    let _ = write!(
        h,
        "<section id=\"console-section\"><h2>Console ({} lines)</h2><div class=\"controls\">\
<input id=\"console-search\" type=\"search\" placeholder=\"Search the console\"><span id=\"console-count\"></span></div><div id=\"console\">",
        scan.console.lines.len()
    );
    for l in &scan.console.lines {
        let stream = match l.stream {
            crate::model::StdStream::Stdout => "stdout",
            crate::model::StdStream::Stderr => "stderr",
        };
        let _ = write!(
            h,
            "<div class=\"l {stream}\" title=\"{}\"><span class=\"t\">{:>7.3}s</span>{}</div>",
            escape(&l.source),
            l.t_ms as f64 / 1000.0,
            ansi_to_html(&l.text)
        );
    }
    if scan.console.truncated {
        let _ = write!(
            h,
            "<div class=\"truncated\" id=\"console-truncated\">… console truncated: {} bytes not kept (the cap is {} bytes)</div>",
            scan.console.dropped_bytes,
            crate::capture::MAX_CONSOLE_BYTES
        );
    }
    h.push_str("</div></section>");
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.2} s", ms as f64 / 1000.0)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// Text with ANSI SGR colour sequences turned into `<span>`s; other escape sequences are
/// dropped; everything else is HTML-escaped.
pub fn ansi_to_html(text: &str) -> String {
    #[derive(Default, Clone, PartialEq)]
    struct Style {
        fg: Option<u8>,
        bold: bool,
        italic: bool,
        underline: bool,
        dim: bool,
    }
    impl Style {
        fn class(&self) -> String {
            let mut c = Vec::new();
            if let Some(f) = self.fg {
                c.push(format!("f{f}"));
            }
            for (on, name) in [
                (self.bold, "b"),
                (self.italic, "i"),
                (self.underline, "u"),
                (self.dim, "dim"),
            ] {
                if on {
                    c.push(name.to_string());
                }
            }
            c.join(" ")
        }
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut style = Style::default();
    let mut open = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            escape_into(&mut out, c);
            continue;
        }
        if chars.peek() != Some(&'[') {
            continue;
        }
        chars.next();
        let mut params = String::new();
        let mut last = ' ';
        for c in chars.by_ref() {
            if ('@'..='~').contains(&c) {
                last = c;
                break;
            }
            params.push(c);
        }
        if last != 'm' {
            continue;
        }
        let codes: Vec<u16> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
        let mut i = 0;
        while i < codes.len() {
            match codes[i] {
                0 => style = Style::default(),
                1 => style.bold = true,
                2 => style.dim = true,
                3 => style.italic = true,
                4 => style.underline = true,
                22 => {
                    style.bold = false;
                    style.dim = false
                }
                23 => style.italic = false,
                24 => style.underline = false,
                n @ 30..=37 => style.fg = Some((n - 30) as u8),
                n @ 90..=97 => style.fg = Some((n - 90) as u8),
                39 => style.fg = None,
                // 256-colour and true-colour forms: skip their arguments.
                38 | 48 => {
                    i += if codes.get(i + 1) == Some(&5) { 2 } else { 4 };
                }
                _ => {}
            }
            i += 1;
        }
        if open {
            out.push_str("</span>");
            open = false;
        }
        let class = style.class();
        if !class.is_empty() {
            let _ = write!(out, "<span class=\"{class}\">");
            open = true;
        }
    }
    if open {
        out.push_str("</span>");
    }
    out
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        escape_into(&mut out, c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_becomes_spans_and_text_is_escaped() {
        assert_eq!(
            ansi_to_html("\u{1b}[1m\u{1b}[32mok\u{1b}[0m <b>"),
            "<span class=\"b\"></span><span class=\"f2 b\">ok</span> &lt;b&gt;"
        );
    }

    #[test]
    fn every_text_is_escaped_and_truncation_is_marked() {
        use crate::model::*;
        let evil = "<script>alert(1)</script>";
        let scan = Scan {
            schema: SCHEMA_NAME.into(),
            schema_version: SCHEMA_VERSION,
            id: "x".into(),
            project: Project {
                name: Some(evil.into()),
                id: None,
            },
            tool: Tool {
                name: "cargo-devlake".into(),
                version: "0".into(),
                runtime_version: None,
            },
            command: Command {
                kind: "test".into(),
                argv: vec![evil.into()],
                cwd: evil.into(),
            },
            started_at: chrono::Utc::now(),
            duration_ms: 1,
            outcome: Outcome::Failure,
            exit_code: 1,
            environment: Environment::default(),
            tags: vec![evil.into()],
            links: vec![Link {
                name: evil.into(),
                url: "https://e.com/\"onmouseover=\"x".into(),
            }],
            custom_values: vec![CustomValue {
                name: evil.into(),
                value: evil.into(),
            }],
            console: Console {
                lines: vec![ConsoleLine {
                    t_ms: 0,
                    stream: StdStream::Stdout,
                    source: evil.into(),
                    text: evil.into(),
                }],
                truncated: true,
                dropped_bytes: 42,
            },
            tests: vec![TestCase {
                suite: evil.into(),
                name: evil.into(),
                outcome: TestOutcome::Failed,
                duration_ms: None,
                output: Some(evil.into()),
            }],
            run: None,
            timeline: vec![Span {
                name: evil.into(),
                kind: "step".into(),
                start_ms: 0,
                duration_ms: 1,
                outcome: Outcome::Failure,
            }],
            warnings: vec![evil.into()],
        };
        let html = render_html(&scan);
        assert!(!html.contains("<script>alert"), "unescaped text");
        assert!(!html.contains("\"onmouseover"), "unescaped attribute");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("console truncated: 42 bytes not kept"));
        // No network: nothing is loaded from anywhere.
        assert!(!html.contains("src=") && !html.contains("<link"));
    }
}
