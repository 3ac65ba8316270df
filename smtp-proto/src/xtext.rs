//! xtext encoding — RFC 3461 §4 (ENVID, ORCPT), and RFC 6533 §3 (`utf-8-addr-xtext`,
//! `utf-8-addr-unitext`) for internationalized original recipients.

use alloc::string::String;
use core::fmt::Write as _;

/// True for a byte that xtext writes as itself (RFC 3461 §4: `!`..`~` except `+`, `=`).
fn xchar(b: u8) -> bool {
    (b'!'..=b'~').contains(&b) && b != b'+' && b != b'='
}

/// Appends `s` xtext-encoded (RFC 3461 §4): `+`, `=`, and bytes outside `!`..`~`
/// become `+XX` (upper-case hex). Non-ASCII input is encoded byte by byte.
pub fn encode_xtext(s: &str, out: &mut String) {
    for b in s.bytes() {
        if xchar(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "+{b:02X}");
        }
    }
}

/// Appends `s` as `utf-8-addr-xtext` (RFC 6533 §3): ASCII as xtext, and every
/// non-ASCII character, and `\` itself, as `\x{HHHH}`.
pub fn encode_utf8_addr_xtext(s: &str, out: &mut String) {
    for c in s.chars() {
        if c.is_ascii() && c != '\\' {
            let mut buf = [0u8; 4];
            encode_xtext(c.encode_utf8(&mut buf), out);
        } else {
            let _ = write!(out, "\\x{{{:X}}}", u32::from(c));
        }
    }
}

/// Appends `s` as `utf-8-addr-unitext` (RFC 6533 §3): like `utf-8-addr-xtext` but
/// non-ASCII characters pass through as UTF-8 (only with SMTPUTF8).
pub fn encode_utf8_addr_unitext(s: &str, out: &mut String) {
    for c in s.chars() {
        if !c.is_ascii() {
            out.push(c);
        } else if c == '\\' {
            out.push_str("\\x{5C}");
        } else {
            let mut buf = [0u8; 4];
            encode_xtext(c.encode_utf8(&mut buf), out);
        }
    }
}

/// Decodes xtext; `None` when malformed (a `+` not followed by two upper-case hex
/// digits, a byte outside xchar, or a result that is not UTF-8).
pub fn decode_xtext(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = alloc::vec::Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                let hex = |x: u8| match x {
                    b'0'..=b'9' => Some(x - b'0'),
                    b'A'..=b'F' => Some(x - b'A' + 10),
                    _ => None,
                };
                let hi = hex(*b.get(i + 1)?)?;
                let lo = hex(*b.get(i + 2)?)?;
                out.push(hi * 16 + lo); // summed: an or of disjoint nibbles equals an xor
                i += 3;
            }
            x if xchar(x) => {
                out.push(x);
                i += 1;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn x(s: &str) -> String {
        let mut o = String::new();
        encode_xtext(s, &mut o);
        o
    }

    #[test]
    fn backslash_is_escaped_in_both_utf8_address_forms() {
        let mut xtext = String::new();
        encode_utf8_addr_xtext("a\\b\u{e9}", &mut xtext);
        assert_eq!(xtext, "a\\x{5C}b\\x{E9}");
        let mut unitext = String::new();
        encode_utf8_addr_unitext("a\\b\u{e9}+", &mut unitext);
        assert_eq!(unitext, "a\\x{5C}b\u{e9}+2B");
    }

    #[test]
    fn encodes_plus_equals_space_and_controls() {
        assert_eq!(x("a+b=c d"), "a+2Bb+3Dc+20d");
        assert_eq!(x("plain"), "plain");
        assert_eq!(decode_xtext("a+2Bb"), Some("a+b".into()));
        assert_eq!(decode_xtext("a+2b"), None);
        assert_eq!(decode_xtext("a+2"), None);
        assert_eq!(decode_xtext("a b"), None);
    }

    #[test]
    fn utf8_addr_forms_follow_rfc6533() {
        let mut o = String::new();
        encode_utf8_addr_xtext("jörg+x\\@b.example", &mut o);
        assert_eq!(o, "j\\x{F6}rg+2Bx\\x{5C}@b.example");
        let mut u = String::new();
        encode_utf8_addr_unitext("jörg=@b", &mut u);
        assert_eq!(u, "jörg+3D@b");
    }

    proptest! {
        #[test]
        fn xtext_round_trips(s in "[ -~]{0,64}") {
            let e = x(&s);
            prop_assert!(e.bytes().all(|b| (b'!'..=b'~').contains(&b)));
            prop_assert_eq!(decode_xtext(&e), Some(s));
        }
    }
}
