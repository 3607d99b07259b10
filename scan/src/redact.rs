//! Scrubbing secrets from everything a scan captures: argv, console lines, test output,
//! subtask errors.
//!
//! Three kinds of secret are removed: known values (the values of environment variables
//! whose names look secret, the access keys, the secrets a caller hands in such as the
//! plugin's connection secrets), passwords in URLs (`scheme://user:password@host`), and the
//! values of arguments whose names look secret (`--token x`, `--password=x`, `API_KEY=x`).

use crate::config::Env;

/// What a secret is replaced with.
pub const MASK: &str = "********";

/// Name fragments that make an environment variable or argument secret.
const SECRET_WORDS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "KEY",
    "AUTH",
    "CREDENTIAL",
    "PRIVATE",
    "COOKIE",
    "SESSION",
    "PWD",
];

/// Values shorter than this are not scrubbed by value (they would mangle ordinary text); a
/// password inside a URL is scrubbed whatever its length.
const MIN_SECRET_LEN: usize = 4;

/// Whether a variable or argument name looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // `PWD` and `OLDPWD` are directories, not passwords.
    if upper == "PWD" || upper == "OLDPWD" {
        return false;
    }
    SECRET_WORDS.iter().any(|w| upper.contains(w))
}

/// Scrubs known secret values and URL passwords from text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor with no known secrets (URL passwords are still scrubbed).
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds the values of the secret-looking variables of `env`.
    pub fn with_env(mut self, env: &Env) -> Redactor {
        for (k, v) in env {
            // Short or boolean-looking values (`CI_AUTH=true`) would mangle ordinary text.
            if is_secret_name(k) && v.len() >= 6 && !matches!(v.as_str(), "true" | "false") {
                self.add(v);
            }
        }
        self
    }

    /// Adds one secret value (and, for a value holding `user:password@`, its password).
    pub fn add(&mut self, secret: &str) {
        let s = secret.trim();
        if s.chars().count() < MIN_SECRET_LEN || self.secrets.iter().any(|x| x == s) {
            return;
        }
        self.secrets.push(s.to_string());
        self.secrets.sort_by_key(|x| std::cmp::Reverse(x.len()));
    }

    /// `text` with every known secret and every URL password replaced by [`MASK`].
    pub fn text(&self, text: &str) -> String {
        let mut out = url_passwords(text);
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }

    /// Learns the secret values of a command line (after `--token`-like flags, after `=` in
    /// `--token=`/`TOKEN=` forms), so they are scrubbed wherever they show up again (a
    /// program echoing its arguments).
    pub fn learn_argv(&mut self, argv: &[String]) {
        let mut next_is_secret = false;
        for a in argv {
            if next_is_secret {
                self.add(a);
                next_is_secret = false;
            } else if let Some((name, value)) = a.split_once('=') {
                if is_secret_name(name.trim_start_matches('-')) {
                    self.add(value);
                }
            } else if a.starts_with('-') && is_secret_name(a.trim_start_matches('-')) {
                next_is_secret = true;
            }
        }
    }

    /// A command line with secrets scrubbed: known values, URL passwords, the value after
    /// `--token`-like flags and after `=` in `--token=`/`TOKEN=` forms.
    pub fn argv(&self, argv: &[String]) -> Vec<String> {
        let mut out = Vec::with_capacity(argv.len());
        let mut next_is_secret = false;
        for a in argv {
            if next_is_secret {
                out.push(MASK.to_string());
                next_is_secret = false;
                continue;
            }
            if let Some((name, _)) = a.split_once('=') {
                if is_secret_name(name.trim_start_matches('-')) {
                    out.push(format!("{name}={MASK}"));
                    continue;
                }
            } else if a.starts_with('-') && is_secret_name(a.trim_start_matches('-')) {
                next_is_secret = true;
            }
            out.push(self.text(a));
        }
        out
    }
}

/// Replaces the password of every `scheme://user:password@` in `text`.
fn url_passwords(text: &str) -> String {
    if !text.contains("://") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        // The authority ends at the first `/`, whitespace or quote; its userinfo at the
        // last `@` before that.
        let end = rest
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'' || c == '>')
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        match authority.rfind('@') {
            Some(at) => match authority[..at].find(':') {
                Some(colon) => {
                    out.push_str(&authority[..colon + 1]);
                    out.push_str(MASK);
                    out.push_str(&authority[at..]);
                }
                None => out.push_str(authority),
            },
            None => out.push_str(authority),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_masked() {
        let r = Redactor::new();
        assert_eq!(
            r.text("mysql://root:hunter2@127.0.0.1:3306/lake?x=1 and postgres://u@h/db"),
            "mysql://root:********@127.0.0.1:3306/lake?x=1 and postgres://u@h/db"
        );
    }

    #[test]
    fn argv_flags_and_assignments_are_masked() {
        let r = Redactor::new();
        let argv: Vec<String> = [
            "run",
            "--token",
            "abcd",
            "--api-key=xyz1",
            "DB_PASSWORD=p",
            "--db",
            "x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            r.argv(&argv),
            [
                "run",
                "--token",
                MASK,
                "--api-key=********",
                "DB_PASSWORD=********",
                "--db",
                "x"
            ]
        );
    }

    #[test]
    fn secret_names() {
        assert!(is_secret_name("GITHUB_TOKEN"));
        assert!(is_secret_name("db_password"));
        assert!(!is_secret_name("PWD"));
        assert!(!is_secret_name("HOME"));
    }
}
