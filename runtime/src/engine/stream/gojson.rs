//! JSON strings exactly as Go's `encoding/json` writes them, for values DevLake's Go side
//! recomputes and compares byte for byte (`_raw_data_params`).

/// `s` as a JSON string literal the way Go's `json.Marshal` encodes it: `"` and `\` escaped,
/// `\n`, `\r`, `\t` short, other control characters and the HTML-sensitive `<`, `>`, `&` as
/// `\u00XX`, U+2028 and U+2029 as `\u2028`/`\u2029`, every other character as UTF-8.
/// (`\b` and `\f` as `\u0008`/`\u000c`, as the Go 1.20 toolchain DevLake builds with.)
///
/// `a<b>&"ä\u{2028}` becomes `"a\u003cb\u003e\u0026\"ä\u2028"` (the tests below have more).
pub fn go_json_string(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&') => {
                let b = c as u32 as usize;
                out.push_str("\\u00");
                out.push(HEX[b >> 4] as char);
                out.push(HEX[b & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::go_json_string;

    /// Expected bytes as Go 1.20's `json.Marshal` prints them.
    #[test]
    fn matches_go_encoding_json() {
        for (input, go) in [
            ("p1", r#""p1""#),
            ("cäsea", "\"c\u{e4}sea\""),
            ("日本/repo", "\"日本/repo\""),
            ("a<b>c&d", r#""a\u003cb\u003ec\u0026d""#),
            ("q\"s'\\", r#""q\"s'\\""#),
            ("l\u{2028}p\u{2029}", r#""l\u2028p\u2029""#),
            (
                "\n\r\t\u{8}\u{c}\u{1}\u{1f}",
                r#""\n\r\t\u0008\u000c\u0001\u001f""#,
            ),
            ("\u{7f}😀", "\"\u{7f}😀\""),
        ] {
            assert_eq!(go_json_string(input), go, "{input:?}");
        }
    }
}
