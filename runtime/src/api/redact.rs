//! Keeping secrets out of logs, errors and raw rows.

use url::Url;

const MASK: &str = "***";

/// The URL with its user name and password removed, and the value of every
/// token-like query parameter (`access_token`, `api_key`, `private_token`,
/// `client_secret`, `password`, `sig`...) replaced by `***`. Pagination parameters
/// (`pageToken`, `continuationToken`, `cursor`) are kept. The fragment is dropped.
///
/// ```
/// use devlake::api::redact_url;
/// let url = url::Url::parse("https://me:pw@example.com/a?access_token=t0k&page=2").unwrap();
/// assert_eq!(redact_url(&url), "https://example.com/a?access_token=***&page=2");
/// ```
pub fn redact_url(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    if !url.username().is_empty() {
        // Only fails for URLs that cannot have credentials, which then have none.
        let _ = url.set_username("");
    }
    if url.password().is_some() {
        let _ = url.set_password(None);
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_param(&k) {
                    MASK.to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        if pairs.iter().any(|(k, _)| is_secret_param(k)) {
            let mut query = url.query_pairs_mut();
            query.clear();
            for (k, v) in &pairs {
                query.append_pair(k, v);
            }
        }
    }
    url.to_string()
}

/// Redacts a URL given as text (a base or proxy URL). Text that does not parse is shown
/// too, so the user sees what to fix (`trackr.local` lacks a scheme), with only its secret
/// parts masked: everything up to the last `@` of a userinfo, the values of token-like
/// query parameters, and the fragment (which may carry an `access_token`).
pub(crate) fn redact_url_str(text: &str) -> String {
    match Url::parse(text.trim()) {
        // `me:pw@host` parses as scheme `me` with an opaque path: mask it by shape.
        Ok(url) if !url.cannot_be_a_base() => redact_url(&url),
        _ => one_line(&redact_unparsed(text.trim()), 200),
    }
}

/// The secret parts of a text that is not a valid URL, masked by shape alone.
fn redact_unparsed(text: &str) -> String {
    // The fragment goes first: it may hold `@` or `?` that belong to no other part.
    let text = text.split_once('#').map_or(text, |(before, _)| before);
    let (head, query) = match text.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (text, None),
    };
    // A password may hold `/`, `:` or `?`, so the userinfo ends at the last `@` of the text
    // before the query, or of the whole text when the query itself holds an `@` after a
    // `?` typed in the password.
    let (head, query) = match (head.rfind('@'), query.map(|q| q.contains('@'))) {
        (_, Some(true)) => match text.rfind('@') {
            Some(at) => (mask_userinfo(text, at), None),
            None => (head.to_string(), query),
        },
        (Some(at), _) => (mask_userinfo(head, at), query),
        (None, _) => (head.to_string(), query),
    };
    let Some(query) = query else {
        return head;
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _))
                if is_secret_param(
                    &percent_encoding::percent_decode_str(k).decode_utf8_lossy(),
                ) =>
            {
                format!("{k}={MASK}")
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{head}?{}", pairs.join("&"))
}

/// `text` with the userinfo that ends at the `@` at byte `at` replaced by `***`.
fn mask_userinfo(text: &str, at: usize) -> String {
    let start = text.find("://").map_or(0, |i| i + 3);
    if start > at {
        return text.to_string();
    }
    format!("{}{MASK}{}", &text[..start], &text[at..])
}

/// Whether a query parameter's name says its value is a credential.
fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    const PAGINATION: [&str; 4] = ["page", "continuation", "cursor", "next"];
    if PAGINATION.iter().any(|p| name.contains(p)) {
        return false;
    }
    const CONTAINS: [&str; 11] = [
        "token",
        "secret",
        "password",
        "passwd",
        "apikey",
        "api_key",
        "api-key",
        "access_key",
        "accesskey",
        "credential",
        "signature",
    ];
    const EXACT: [&str; 8] = [
        "key",
        "sig",
        "auth",
        "code",
        "pwd",
        "session",
        "sessionid",
        "jwt",
    ];
    CONTAINS.iter().any(|s| name.contains(s)) || EXACT.contains(&name.as_str())
}

/// Secret values known to the client for one exchange: the connection's secrets given to
/// [`ApiClientBuilder::secret`](super::ApiClientBuilder::secret), the values of sensitive
/// headers (`Authorization`, [`secret_header`](super::ApiClientBuilder::secret_header)),
/// the URL's password and token-like query values. Every message built from a response
/// (status errors and their body excerpts, JSON errors, connection-test messages) passes
/// through [`Secrets::redact`], so a server that echoes the request leaks nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Secrets(Vec<String>);

impl Secrets {
    /// Values shorter than this are not treated as secrets: redacting `ab` everywhere would
    /// garble messages and protect nothing.
    const MIN_LEN: usize = 4;

    /// Adds a secret value.
    pub(crate) fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.chars().count() >= Self::MIN_LEN && !self.0.iter().any(|v| v == value) {
            self.0.push(value.to_string());
            // Longest first, so a value containing another is replaced whole.
            self.0.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// Adds a header value and, for `<scheme> <credential>` (`Bearer t0k`), the credential.
    pub(crate) fn add_header_value(&mut self, value: &str) {
        self.add(value);
        if let Some((_, credential)) = value.trim().split_once(' ') {
            self.add(credential);
        }
    }

    /// Adds the URL's password and the values of its token-like query parameters.
    pub(crate) fn add_url(&mut self, url: &Url) {
        if let Some(p) = url.password() {
            self.add(p);
            let decoded = percent_encoding::percent_decode_str(p).decode_utf8_lossy();
            self.add(&decoded);
        }
        for (k, v) in url.query_pairs() {
            if is_secret_param(&k) {
                self.add(&v);
            }
        }
    }

    /// The text with every known secret replaced by `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.0 {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), MASK);
            }
        }
        out
    }
}

/// Text on one line (runs of whitespace become one space), at most `max` characters,
/// with `…` when cut.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_add(4)));
    let mut count = 0usize;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = count > 0;
            continue;
        }
        if pending_space {
            if count >= max {
                out.push('…');
                return out;
            }
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        if count >= max {
            out.push('…');
            return out;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// The start of a body, as one line of at most `max` characters.
pub(crate) fn excerpt(body: &[u8], max: usize) -> String {
    // Decode only what can be shown (4 bytes per character at most).
    let cut = body.len().min(max.saturating_mul(4).saturating_add(4));
    one_line(&String::from_utf8_lossy(&body[..cut]), max)
}

/// An error and its causes on one line, without the URL reqwest puts in its messages.
pub(crate) fn error_chain(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut parts: Vec<String> = Vec::new();
    // `without_url` needs an owned error: describe the kind the same way instead.
    let head = if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "connection failed".to_string()
    } else if error.is_body() || error.is_decode() {
        "reading the response body failed".to_string()
    } else if error.is_redirect() {
        "too many redirects".to_string()
    } else if error.is_builder() {
        "invalid request".to_string()
    } else {
        "request failed".to_string()
    };
    parts.push(head);
    let mut source = error.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p == &text) {
            parts.push(text);
        }
        source = s.source();
    }
    let joined = parts.join(": ");
    // A cause may still quote a URL (a proxy URL with credentials): hide credentials.
    one_line(&strip_userinfo(&joined), 400)
}

/// Removes `user:password@` from any URL-looking words of a text.
fn strip_userinfo(text: &str) -> String {
    text.split(' ')
        .map(|word| match (word.find("://"), word.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}{}", &word[..scheme_end + 3], &word[at + 1..])
            }
            _ => word.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials_and_tokens() {
        let url = Url::parse("http://u:p@h:1/x?private_token=a&pageToken=b&q=1#f").unwrap();
        assert_eq!(
            redact_url(&url),
            "http://h:1/x?private_token=***&pageToken=b&q=1"
        );
        let url = Url::parse("http://h/x?q=1").unwrap();
        assert_eq!(redact_url(&url), "http://h/x?q=1");
    }

    #[test]
    fn known_secrets_are_redacted_longest_first() {
        let mut s = Secrets::default();
        s.add_header_value("Bearer T0kenValue");
        s.add("ab");
        s.add_url(&Url::parse("http://u:P%40ss1@h/x?access_token=QueryTok&page=2").unwrap());
        assert_eq!(
            s.redact("echo: Bearer T0kenValue / T0kenValue / P@ss1 / QueryTok / ab / page=2"),
            "echo: *** / *** / *** / *** / ab / page=2"
        );
    }

    #[test]
    fn unparsed_urls_show_all_but_their_secrets() {
        // No scheme: the user must see what they typed to fix it.
        assert_eq!(redact_url_str("trackr.local"), "trackr.local");
        assert_eq!(
            redact_url_str(" trackr.local/api?page=2&token=t0k&key=k3y#access_token=f "),
            "trackr.local/api?page=2&token=***&key=***"
        );
        assert_eq!(
            redact_url_str("http://me:s3cr:et@host:port/x?q=1&Password=pw"),
            "http://***@host:port/x?q=1&Password=***"
        );
        assert_eq!(redact_url_str("me:pw@trackr.local"), "***@trackr.local");
        // A `/` or `?` typed in the password does not expose its tail.
        assert_eq!(redact_url_str("http://u:p/ss@h:x"), "http://***@h:x");
        assert_eq!(redact_url_str("http://u:p?ss@h:x/y"), "http://***@h:x/y");
        assert_eq!(redact_url_str("line\nbreak"), "line break");
    }

    #[test]
    fn one_line_cuts() {
        assert_eq!(one_line("a\n  b\tc", 10), "a b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("  ab  ", 10), "ab");
        assert_eq!(
            strip_userinfo("proxy http://u:p@h:1 failed"),
            "proxy http://h:1 failed"
        );
    }
}
