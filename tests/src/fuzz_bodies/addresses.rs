//! Address parsing (RFC 5321 §4.1.2, §4.1.3): whatever parses displays as text that
//! parses back to the same value, and that text can never break a command line.

use arbitrary::Unstructured;
use smtp_proto::{AddressLiteral, Domain, ForwardPath, GeneralLiteral, Host, Mailbox, ReversePath};

use super::text::{has_line_break_or_nul, long_text, text};

fn shown_safely(s: &str) {
    assert!(
        !has_line_break_or_nul(s.as_bytes()),
        "display of a parsed address holds CR, LF or NUL: {s:?}"
    );
}

/// Parses arbitrary strings as every address type; each success round-trips through
/// `Display` (`Host`, `Mailbox`, both paths, general literals).
pub fn address(data: &[u8]) {
    let mut u = Unstructured::new(data);
    while !u.is_empty() {
        let Ok(s) = long_text(&mut u, 24) else {
            return;
        };
        if let Ok(h) = Host::parse(&s) {
            let shown = h.to_string();
            shown_safely(&shown);
            assert_eq!(
                Host::parse(&shown).as_ref(),
                Ok(&h),
                "host {s:?} → {shown:?}"
            );
        }
        if let Ok(d) = Domain::parse(&s) {
            assert_eq!(Domain::parse(d.as_str()).as_ref(), Ok(&d));
        }
        if let Ok(m) = Mailbox::parse(&s) {
            let shown = m.to_string();
            shown_safely(&shown);
            assert_eq!(Mailbox::parse(&shown).as_ref(), Ok(&m), "{s:?} → {shown:?}");
            assert!(shown.len() + 2 <= smtp_proto::address::MAX_PATH);
        }
        if let Ok(p) = ReversePath::parse(&s) {
            let shown = p.to_string();
            shown_safely(&shown);
            assert_eq!(
                ReversePath::parse(&shown).as_ref(),
                Ok(&p),
                "{s:?} → {shown:?}"
            );
            assert!(shown.starts_with('<') && shown.ends_with('>'));
        }
        if let Ok(p) = ForwardPath::parse(&s) {
            let shown = p.to_string();
            shown_safely(&shown);
            assert_eq!(
                ForwardPath::parse(&shown).as_ref(),
                Ok(&p),
                "{s:?} → {shown:?}"
            );
            assert!(shown.starts_with('<') && shown.ends_with('>'));
        }
        let Ok(content) = text(&mut u, 8) else {
            return;
        };
        if let Ok(g) = GeneralLiteral::new(&s, &content) {
            let h = Host::Literal(AddressLiteral::General(g.clone()));
            let shown = h.to_string();
            shown_safely(&shown);
            assert_eq!(Host::parse(&shown), Ok(h), "literal {s:?}:{content:?}");
            assert_eq!((g.tag(), g.content()), (s.as_str(), content.as_str()));
        }
    }
}
