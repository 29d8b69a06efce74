//! PostgreSQL `text` cannot contain U+0000. Typed columns therefore store
//! client strings through an injective escaping with the noncharacter
//! U+FFFF as escape: NUL becomes U+FFFF `0`, U+FFFF becomes U+FFFF `1`.
//! Strings without either (all real data) are stored unchanged. Equal
//! inputs give equal outputs and different inputs different ones, so
//! lookups and unique constraints on escaped keys behave as on the
//! originals.

use std::borrow::Cow;

const ESCAPE: char = '\u{FFFF}';

/// The storable form of `s`.
pub(super) fn enc(s: &str) -> Cow<'_, str> {
    if !s.contains(['\0', ESCAPE]) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\0' => {
                out.push(ESCAPE);
                out.push('0');
            }
            ESCAPE => {
                out.push(ESCAPE);
                out.push('1');
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`enc`] of an optional string.
pub(super) fn enc_opt(s: Option<&str>) -> Option<Cow<'_, str>> {
    s.map(enc)
}

/// The original of a stored string.
pub(super) fn dec(s: String) -> String {
    if !s.contains(ESCAPE) {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == ESCAPE {
            match chars.next() {
                Some('0') => out.push('\0'),
                Some('1') => out.push(ESCAPE),
                // Not written by `enc`; kept as found.
                Some(other) => {
                    out.push(ESCAPE);
                    out.push(other);
                }
                None => out.push(ESCAPE),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// [`dec`] of an optional string.
pub(super) fn dec_opt(s: Option<String>) -> Option<String> {
    s.map(dec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_injective_and_reversible() {
        let cases = [
            "",
            "plain",
            "a\0b",
            "\u{FFFF}0",
            "\0",
            "x\u{FFFF}",
            "\u{FFFF}\0\u{FFFF}1",
        ];
        for s in cases {
            let e = enc(s);
            assert!(!e.contains('\0'), "{s:?}");
            assert_eq!(dec(e.clone().into_owned()), s, "{s:?}");
            for t in cases {
                if s != t {
                    assert_ne!(enc(s), enc(t), "{s:?} {t:?}");
                }
            }
        }
        assert!(matches!(enc("plain"), Cow::Borrowed(_)));
    }
}
