//! Mailbox addresses and paths — RFC 5321 §4.1.2 (Mailbox, Local-part, Domain,
//! address-literal), §4.1.3 (address literals), §4.5.3.1 (size limits), RFC 6531 §3.3
//! (UTF-8 local parts and domains, which need SMTPUTF8).
//!
//! Values are validated when they are made, so a path can always be written on a
//! command line: no CR, LF, NUL or other control character can be inside one.

use alloc::string::String;
use core::fmt;

/// RFC 5321 §4.5.3.1.1: a local part is at most 64 octets.
pub const MAX_LOCAL_PART: usize = 64;
/// RFC 5321 §4.5.3.1.2: a domain is at most 255 octets.
pub const MAX_DOMAIN: usize = 255;
/// RFC 5321 §4.5.3.1.3: a path, angle brackets included, is at most 256 octets.
pub const MAX_PATH: usize = 256;

/// Why a string is not a valid address, domain or path. The caller's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Nothing where an address or domain was required.
    #[error("empty address")]
    Empty,
    /// No `@` between local part and domain.
    #[error("address has no '@'")]
    MissingAt,
    /// The local part is neither a dot-atom nor a quoted string.
    #[error("invalid local part: {0}")]
    BadLocalPart(&'static str),
    /// The domain is not a sequence of valid labels.
    #[error("invalid domain: {0}")]
    BadDomain(&'static str),
    /// An address literal that is not IPv4, `IPv6:` or a valid general literal.
    #[error("invalid address literal")]
    BadLiteral,
    /// The local part exceeds [`MAX_LOCAL_PART`] octets.
    #[error("local part longer than {MAX_LOCAL_PART} octets")]
    LocalPartTooLong,
    /// The domain exceeds [`MAX_DOMAIN`] octets.
    #[error("domain longer than {MAX_DOMAIN} octets")]
    DomainTooLong,
    /// The path exceeds [`MAX_PATH`] octets.
    #[error("path longer than {MAX_PATH} octets")]
    PathTooLong,
    /// A control character (CR, LF, NUL, ...) or other byte never allowed.
    #[error("forbidden character {0:?}")]
    ForbiddenChar(char),
}

/// A domain name: ASCII LDH labels, or UTF-8 labels (RFC 6531, needs SMTPUTF8).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Domain(String);

impl Domain {
    /// Validates a domain (a trailing dot is not allowed in SMTP).
    pub fn parse(s: &str) -> Result<Domain, AddressError> {
        if s.is_empty() {
            return Err(AddressError::Empty);
        }
        forbid_controls(s)?;
        if s.len() > MAX_DOMAIN {
            return Err(AddressError::DomainTooLong);
        }
        for label in dot_separated(s) {
            check_label(label)?;
        }
        Ok(Domain(String::from(s)))
    }
    /// The domain as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// False when any label is non-ASCII (then SMTPUTF8 is required).
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }
}

/// An address literal, RFC 5321 §4.1.3.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressLiteral {
    /// `[192.0.2.1]`
    V4(core::net::Ipv4Addr),
    /// `[IPv6:2001:db8::1]`
    V6(core::net::Ipv6Addr),
    /// `[tag:content]`, a General-address-literal (built only by parsing, so its
    /// parts are always valid).
    General(GeneralLiteral),
}

/// A General-address-literal, RFC 5321 §4.1.3: `Standardized-tag ":" 1*dcontent`.
/// Its fields are private so that no value can carry CR, LF or a `]` onto a
/// command line: the only way to make one is [`GeneralLiteral::new`] (or parsing).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GeneralLiteral {
    tag: String,
    content: String,
}

impl GeneralLiteral {
    /// Checks `tag` (a label: letters, digits, inner hyphens, not `IPv6`) and
    /// `content` (1 or more of `%d33-90 / %d94-126`: printable ASCII without `[`,
    /// `\\` and `]`).
    pub fn new(tag: &str, content: &str) -> Result<GeneralLiteral, AddressError> {
        let tag_ok =
            check_label(tag).is_ok() && tag.is_ascii() && !tag.eq_ignore_ascii_case("IPv6");
        let content_ok = !content.is_empty()
            && content
                .bytes()
                .all(|b| (33..=90).contains(&b) || (94..=126).contains(&b));
        if tag_ok && content_ok && tag.len() + content.len() + 3 <= MAX_DOMAIN {
            Ok(GeneralLiteral {
                tag: String::from(tag),
                content: String::from(content),
            })
        } else {
            Err(AddressError::BadLiteral)
        }
    }
    /// The standardized tag.
    pub fn tag(&self) -> &str {
        &self.tag
    }
    /// The content after the colon.
    pub fn content(&self) -> &str {
        &self.content
    }
}

/// What follows the `@`, or the argument of EHLO/HELO/LHLO.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name.
    Domain(Domain),
    /// An address literal in brackets.
    Literal(AddressLiteral),
}

impl Host {
    /// Parses a domain or a bracketed address literal.
    pub fn parse(s: &str) -> Result<Host, AddressError> {
        match s.strip_prefix('[') {
            Some(rest) => {
                let inner = rest.strip_suffix(']').ok_or(AddressError::BadLiteral)?;
                forbid_controls(inner)?;
                if s.len() > MAX_DOMAIN {
                    return Err(AddressError::DomainTooLong);
                }
                parse_literal(inner).map(Host::Literal)
            }
            None => Domain::parse(s).map(Host::Domain),
        }
    }
    /// False when the host needs SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        match self {
            Host::Domain(d) => d.is_ascii(),
            Host::Literal(_) => true,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d.as_str()),
            Host::Literal(AddressLiteral::V4(a)) => write!(f, "[{a}]"),
            Host::Literal(AddressLiteral::V6(a)) => write!(f, "[IPv6:{a}]"),
            Host::Literal(AddressLiteral::General(g)) => write!(f, "[{}:{}]", g.tag, g.content),
        }
    }
}

/// `local-part@host`, with the local part kept in wire form (dot-atom or quoted string).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mailbox {
    local: String,
    host: Host,
}

impl Mailbox {
    /// Parses `local@host` (angle brackets not allowed here).
    pub fn parse(s: &str) -> Result<Mailbox, AddressError> {
        if s.is_empty() {
            return Err(AddressError::Empty);
        }
        forbid_controls(s)?;
        let at = split_at(s).ok_or(AddressError::MissingAt)?;
        let (local, host) = (&s[..at], &s[at + 1..]);
        check_local_part(local)?;
        let host = Host::parse(host)?;
        // RFC 5321 §4.5.3.1.3: the path with its brackets is at most 256 octets.
        if s.len() + 2 > MAX_PATH {
            return Err(AddressError::PathTooLong);
        }
        Ok(Mailbox {
            local: String::from(local),
            host,
        })
    }
    /// The local part in wire form (quotes kept for a quoted string).
    pub fn local_part(&self) -> &str {
        &self.local
    }
    /// The host part.
    pub fn host(&self) -> &Host {
        &self.host
    }
    /// False when the address needs SMTPUTF8 (RFC 6531).
    pub fn is_ascii(&self) -> bool {
        self.local.is_ascii() && self.host.is_ascii()
    }
}

impl fmt::Display for Mailbox {
    /// `local@host`, without angle brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parts written one by one: every command line formats a path, and nested
        // `write!`s cost more than the text.
        f.write_str(&self.local)?;
        f.write_str("@")?;
        fmt::Display::fmt(&self.host, f)
    }
}

/// The MAIL FROM path: a mailbox, or the null path `<>` (RFC 5321 §4.5.5).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReversePath(Option<Mailbox>);

impl ReversePath {
    /// Parses `""`, `"<>"`, `"a@b"` or `"<a@b>"`.
    pub fn parse(s: &str) -> Result<ReversePath, AddressError> {
        let inner = strip_brackets(s)?;
        if inner.is_empty() {
            return Ok(ReversePath(None));
        }
        Mailbox::parse(inner).map(|m| ReversePath(Some(m)))
    }
    /// The null reverse-path `<>`.
    #[must_use]
    pub fn null() -> ReversePath {
        ReversePath(None)
    }
    /// The mailbox, or `None` for the null path.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        self.0.as_ref()
    }
    /// False when the path needs SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        self.0.as_ref().is_none_or(Mailbox::is_ascii)
    }
}

impl fmt::Display for ReversePath {
    /// Wire form with angle brackets: `<a@b>` or `<>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(m) => bracketed(m, f),
            None => f.write_str("<>"),
        }
    }
}

/// The RCPT TO path: a mailbox, or the special `<Postmaster>` (RFC 5321 §4.1.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// An ordinary mailbox.
    Mailbox(Mailbox),
    /// `<Postmaster>` without a domain (case-insensitive on input).
    Postmaster,
}

impl ForwardPath {
    /// Parses `"a@b"`, `"<a@b>"` or `"Postmaster"`; the null path is refused.
    pub fn parse(s: &str) -> Result<ForwardPath, AddressError> {
        let inner = strip_brackets(s)?;
        if inner.eq_ignore_ascii_case("postmaster") {
            return Ok(ForwardPath::Postmaster);
        }
        Mailbox::parse(inner).map(ForwardPath::Mailbox)
    }
    /// False when the path needs SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        match self {
            ForwardPath::Mailbox(m) => m.is_ascii(),
            ForwardPath::Postmaster => true,
        }
    }
}

impl fmt::Display for ForwardPath {
    /// Wire form with angle brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Mailbox(m) => bracketed(m, f),
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
        }
    }
}

/// `<mailbox>`.
fn bracketed(m: &Mailbox, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("<")?;
    fmt::Display::fmt(m, f)?;
    f.write_str(">")
}

/// Appends a path's wire form (what its `Display` writes) to a command line: plain
/// string pushes for a domain, the formatter only for an address literal.
pub(crate) trait WirePath {
    /// Appends `<local@host>` (or the path's special form) to `s`.
    fn write_wire(&self, s: &mut String);
}

impl Mailbox {
    fn write_bracketed(&self, s: &mut String) {
        s.push('<');
        s.push_str(&self.local);
        s.push('@');
        match &self.host {
            Host::Domain(d) => s.push_str(d.as_str()),
            literal => {
                let _ = fmt::Write::write_fmt(s, format_args!("{literal}"));
            }
        }
        s.push('>');
    }
}

impl WirePath for ReversePath {
    fn write_wire(&self, s: &mut String) {
        match &self.0 {
            Some(m) => m.write_bracketed(s),
            None => s.push_str("<>"),
        }
    }
}

impl WirePath for ForwardPath {
    fn write_wire(&self, s: &mut String) {
        match self {
            ForwardPath::Mailbox(m) => m.write_bracketed(s),
            ForwardPath::Postmaster => s.push_str("<Postmaster>"),
        }
    }
}

/// Removes one pair of angle brackets, if present. Source routes (`<@a,@b:c@d>`,
/// RFC 5321 §4.1.1.3 "SHOULD NOT be used") are refused rather than silently dropped.
fn strip_brackets(s: &str) -> Result<&str, AddressError> {
    let inner = match s.strip_prefix('<') {
        Some(rest) => rest
            .strip_suffix('>')
            .ok_or(AddressError::BadLocalPart("unbalanced angle brackets"))?,
        None => s,
    };
    if inner.starts_with('@') {
        return Err(AddressError::BadLocalPart(
            "source routes are not supported",
        ));
    }
    Ok(inner)
}

/// No control characters anywhere (CR and LF above all: they would end the line).
fn forbid_controls(s: &str) -> Result<(), AddressError> {
    // ASCII text has no control character when no byte is below 0x20 or is DEL.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Ok(());
    }
    match s.chars().find(|c| c.is_control()) {
        Some(c) => Err(AddressError::ForbiddenChar(c)),
        None => Ok(()),
    }
}

/// The byte index of the `@` that separates local part and host: the last one
/// outside a quoted string.
fn split_at(s: &str) -> Option<usize> {
    let (mut quoted, mut escaped, mut at) = (false, false, None);
    for (i, b) in s.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'@' if !quoted => at = Some(i),
            _ => {}
        }
    }
    at
}

/// The parts of `s` between dots (a dot-string's atoms, a domain's labels). A
/// predicate, not `split('.')`: for the few bytes of a label a byte loop is cheaper
/// than setting up a `memchr` search per part.
#[allow(clippy::manual_pattern_char_comparison)] // on purpose: see above
fn dot_separated(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c == '.')
}

/// RFC 5321 §4.1.2 Local-part = Dot-string / Quoted-string, plus UTF-8 (RFC 6531 §3.3).
fn check_local_part(local: &str) -> Result<(), AddressError> {
    if local.is_empty() {
        return Err(AddressError::BadLocalPart("empty"));
    }
    if local.len() > MAX_LOCAL_PART {
        return Err(AddressError::LocalPartTooLong);
    }
    if let Some(inner) = local.strip_prefix('"') {
        return check_quoted(inner);
    }
    for atom in dot_separated(local) {
        if atom.is_empty() {
            return Err(AddressError::BadLocalPart(
                "empty atom (leading, trailing or double dot)",
            ));
        }
        let atext = if atom.is_ascii() {
            atom.bytes().all(is_ascii_atext)
        } else {
            atom.chars().all(is_atext)
        };
        if !atext {
            return Err(AddressError::BadLocalPart(
                "character not allowed in an atom",
            ));
        }
    }
    Ok(())
}

/// The rest of a quoted string after its opening quote.
fn check_quoted(inner: &str) -> Result<(), AddressError> {
    let body = inner
        .strip_suffix('"')
        .ok_or(AddressError::BadLocalPart("unterminated quoted string"))?;
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            // quoted-pairSMTP = %d92 %d32-126
            '\\' => match chars.next() {
                Some(' '..='~') => {}
                _ => return Err(AddressError::BadLocalPart("bad quoted pair")),
            },
            '"' => return Err(AddressError::BadLocalPart("unescaped quote")),
            // qtextSMTP = %d32-33 / %d35-91 / %d93-126, or UTF-8
            ' '..='~' => {}
            c if !c.is_ascii() => {}
            _ => {
                return Err(AddressError::BadLocalPart(
                    "character not allowed in a quoted string",
                ))
            }
        }
    }
    Ok(())
}

/// RFC 5322 atext, plus any non-ASCII character that is not white space (RFC 6531
/// §3.3). ASCII is decided by a `match` on the byte (no search through a string per
/// character: every address of every message goes through here).
fn is_atext(c: char) -> bool {
    match u8::try_from(c) {
        Ok(b) if b.is_ascii() => is_ascii_atext(b),
        _ => !c.is_whitespace(),
    }
}

/// RFC 5322 atext for an ASCII byte: letters, digits and the specials listed there.
fn is_ascii_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        )
}

/// RFC 5321 §4.1.2 sub-domain = Let-dig [Ldh-str], or a U-label (RFC 6531).
fn check_label(label: &str) -> Result<(), AddressError> {
    if label.is_empty() {
        return Err(AddressError::BadDomain("empty label"));
    }
    if label.len() > 63 {
        return Err(AddressError::BadDomain("label longer than 63 octets"));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(AddressError::BadDomain(
            "label starts or ends with a hyphen",
        ));
    }
    let ldh = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    let ok =
        |c: char| c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric());
    // An ASCII label (the common case) is checked byte by byte, without decoding.
    let valid = if label.is_ascii() {
        label.bytes().all(ldh)
    } else {
        label.chars().all(ok)
    };
    if !valid {
        return Err(AddressError::BadDomain("character not allowed in a label"));
    }
    Ok(())
}

/// The inside of `[...]`: IPv4, `IPv6:...`, or a General-address-literal.
fn parse_literal(inner: &str) -> Result<AddressLiteral, AddressError> {
    if let Some((tag, content)) = inner.split_once(':') {
        if tag.eq_ignore_ascii_case("IPv6") {
            return content
                .parse()
                .map(AddressLiteral::V6)
                .map_err(|_| AddressError::BadLiteral);
        }
        return GeneralLiteral::new(tag, content).map(AddressLiteral::General);
    }
    // A strict dotted quad: core's parser takes exactly four decimal octets up to
    // 255, without signs or leading zeros (the tests pin that).
    inner
        .parse()
        .map(AddressLiteral::V4)
        .map_err(|_| AddressError::BadLiteral)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atext_is_exactly_rfc_5322s_plus_non_ascii_that_is_not_space() {
        const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";
        for b in 0..=0x7fu8 {
            let c = char::from(b);
            let want = b.is_ascii_alphanumeric() || SPECIALS.contains(c);
            assert_eq!(is_atext(c), want, "{b:#x}");
        }
        assert!(is_atext('é') && is_atext('中'));
        assert!(!is_atext('\u{2003}') && !is_atext('\u{a0}'));
    }

    #[test]
    fn controls_are_refused_in_ascii_and_beyond() {
        assert_eq!(forbid_controls("a b~"), Ok(()));
        assert_eq!(forbid_controls("é中"), Ok(()));
        for bad in ["a\x7f", "\x1fa", "a\r\n", "é\u{85}", "\0"] {
            let c = bad.chars().find(|c| c.is_control()).unwrap();
            assert_eq!(
                forbid_controls(bad),
                Err(AddressError::ForbiddenChar(c)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn labels_are_ldh_in_ascii_and_alphanumeric_beyond() {
        assert_eq!(check_label("a-0Z"), Ok(()));
        assert_eq!(check_label("bücher"), Ok(()));
        // A symbol is not a letter or digit in Unicode either.
        for bad in ["a_b", "a.b", "a b", "ü_", "a+", "bü★", "ü\u{2003}"] {
            assert!(check_label(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quoted_local_parts_keep_their_at_signs_and_escapes() {
        // The separating `@` is the last one outside a quoted string; an escaped
        // quote does not end the string.
        let m = Mailbox::parse("\"a\\\"@\"@example.org").unwrap();
        assert_eq!(m.to_string(), "\"a\\\"@\"@example.org");
        let m = Mailbox::parse("\"a b@c\"@example.org").unwrap();
        assert_eq!(m.to_string(), "\"a b@c\"@example.org");
        // An `@` inside quotes after the separator belongs to the host, which then
        // is not a domain: the error is about the host, not the local part.
        // A backslash escapes only inside quotes: here the quote opens a string
        // that hides the `@`.
        assert_eq!(
            Mailbox::parse("a\\\"@example.org"),
            Err(AddressError::MissingAt)
        );
        let err = Mailbox::parse("a@\"b@c\"").unwrap_err();
        assert!(!matches!(err, AddressError::BadLocalPart(_)), "{err:?}");
    }

    #[test]
    fn local_part_characters() {
        assert!(
            check_local_part("\"\u{fc}ber\"").is_ok(),
            "UTF-8 in a quoted string"
        );
        assert!(check_local_part("\"a\\ b\"").is_ok(), "a quoted pair");
        for bad in [
            "\"a\"b\"",
            "\"a\u{7f}\"",
            "\"abc",
            "\"a\\\u{e9}\"",
            "a(b",
            "a b",
            "a\"b",
        ] {
            assert!(check_local_part(bad).is_err(), "{bad:?}");
        }
        assert!(
            check_local_part("a!#$%&'*+-/=?^_`{|}~z").is_ok(),
            "every atext symbol"
        );
    }

    #[test]
    fn ipv4_literals_are_strict_dotted_quads() {
        assert_eq!(
            parse_literal("192.0.2.1"),
            Ok(AddressLiteral::V4("192.0.2.1".parse().unwrap()))
        );
        for bad in [
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.",
            "1000.2.3.4",
            "1.2.3.a",
            "256.1.1.1",
            "+1.2.3.4",
            "01.2.3.4",
            " 1.2.3.4",
        ] {
            assert_eq!(parse_literal(bad), Err(AddressError::BadLiteral), "{bad:?}");
        }
    }

    #[test]
    fn parts_and_ascii_checks() {
        let g = GeneralLiteral::new("X-TAG", "content").unwrap();
        assert_eq!((g.tag(), g.content()), ("X-TAG", "content"));
        assert!(Domain::parse("example.org").unwrap().is_ascii());
        assert!(!Domain::parse("b\u{fc}cher.example").unwrap().is_ascii());
        assert!(!Host::parse("b\u{fc}cher.example").unwrap().is_ascii());
        assert!(Host::parse("[192.0.2.1]").unwrap().is_ascii());
        let m = ReversePath::parse("a@example.org").unwrap();
        assert_eq!(
            m.mailbox().map(|m| m.to_string()),
            Some("a@example.org".into())
        );
        assert!(ReversePath::null().mailbox().is_none());
    }

    #[test]
    fn a_literal_host_is_bounded_like_a_domain() {
        // "[" + content + "]" at most MAX_DOMAIN octets, brackets included.
        let literal = |len: usize| format!("[X-T:{}]", "a".repeat(len - 6));
        assert!(Host::parse(&literal(MAX_DOMAIN)).is_ok());
        assert_eq!(
            Host::parse(&literal(MAX_DOMAIN + 1)),
            Err(AddressError::DomainTooLong)
        );
    }

    #[test]
    fn wire_form_is_what_display_shows() {
        let reverse = [
            "<>",
            "a@b.example",
            "\"a b\"@b.example",
            "x@[192.0.2.1]",
            "y@[IPv6:2001:db8::1]",
        ];
        for text in reverse {
            let path = ReversePath::parse(text).unwrap();
            let mut wire = String::new();
            path.write_wire(&mut wire);
            assert_eq!(wire, alloc::format!("{path}"), "{text}");
        }
        for text in ["<Postmaster>", "c@d.example", "z@[192.0.2.7]"] {
            let path = ForwardPath::parse(text).unwrap();
            let mut wire = String::new();
            path.write_wire(&mut wire);
            assert_eq!(wire, alloc::format!("{path}"), "{text}");
        }
        let mut wire = String::new();
        ForwardPath::parse("c@d.example")
            .unwrap()
            .write_wire(&mut wire);
        assert_eq!(wire, "<c@d.example>");
    }

    #[test]
    fn parses_dot_atom_and_quoted_local_parts() {
        assert_eq!(
            Mailbox::parse("a.b+c@example.org").unwrap().local_part(),
            "a.b+c"
        );
        let q = Mailbox::parse("\"john \\\"q\\\" doe\"@example.org").unwrap();
        assert_eq!(q.local_part(), "\"john \\\"q\\\" doe\"");
        let at = Mailbox::parse("\"a@b\"@example.org").unwrap();
        assert_eq!(
            at.host(),
            &Host::Domain(Domain::parse("example.org").unwrap())
        );
    }

    #[test]
    fn refuses_bad_dots_and_missing_parts() {
        assert!(Mailbox::parse("a..b@c.example").is_err());
        assert!(Mailbox::parse(".a@c.example").is_err());
        assert!(Mailbox::parse("a.@c.example").is_err());
        assert_eq!(Mailbox::parse("nobody"), Err(AddressError::MissingAt));
        assert_eq!(
            Mailbox::parse("@c.example"),
            Err(AddressError::BadLocalPart("empty"))
        );
        assert_eq!(Mailbox::parse(""), Err(AddressError::Empty));
    }

    #[test]
    fn refuses_line_breaks_anywhere() {
        assert_eq!(
            Mailbox::parse("a@b.example\r\nRCPT TO:<x@y>"),
            Err(AddressError::ForbiddenChar('\r'))
        );
        assert!(ForwardPath::parse("<a\n@b.example>").is_err());
        assert!(Domain::parse("b\0.example").is_err());
        assert!(Mailbox::parse("\"a\r\"@b.example").is_err());
    }

    #[test]
    fn parses_address_literals() {
        assert_eq!(
            Host::parse("[192.0.2.1]").unwrap().to_string(),
            "[192.0.2.1]"
        );
        assert_eq!(
            Host::parse("[IPv6:2001:db8::1]").unwrap().to_string(),
            "[IPv6:2001:db8::1]"
        );
        assert_eq!(
            Host::parse("[x-tag:abc]").unwrap().to_string(),
            "[x-tag:abc]"
        );
        assert_eq!(Host::parse("[300.1.1.1]"), Err(AddressError::BadLiteral));
        assert_eq!(Host::parse("[1.2.3]"), Err(AddressError::BadLiteral));
        assert_eq!(Host::parse("[IPv6:zz]"), Err(AddressError::BadLiteral));
        assert_eq!(Host::parse("[1.2.3.4"), Err(AddressError::BadLiteral));
    }

    #[test]
    fn enforces_rfc5321_lengths_at_the_boundary() {
        let l64 = "a".repeat(64);
        assert!(Mailbox::parse(&format!("{l64}@x.example")).is_ok());
        assert_eq!(
            Mailbox::parse(&format!("a{l64}@x.example")),
            Err(AddressError::LocalPartTooLong)
        );
        let label = "b".repeat(63);
        let d255 = format!("{label}.{label}.{label}.{}", "c".repeat(63));
        assert_eq!(d255.len(), 255);
        assert!(Domain::parse(&d255).is_ok());
        assert_eq!(
            Domain::parse(&format!("{d255}x")),
            Err(AddressError::DomainTooLong)
        );
        // path: "<" + local + "@" + domain + ">" <= 256
        let domain = format!("{label}.{label}.{label}.{}", "c".repeat(57));
        let ok = format!("{}@{domain}", "a".repeat(254 - 1 - domain.len()));
        assert_eq!(ok.len() + 2, 256);
        assert!(Mailbox::parse(&ok).is_ok());
        assert_eq!(
            Mailbox::parse(&format!("a{ok}")),
            Err(AddressError::PathTooLong)
        );
        assert!(Domain::parse(&format!("{}.example", "d".repeat(64))).is_err());
    }

    #[test]
    fn labels_may_not_start_or_end_with_hyphen() {
        assert!(Domain::parse("-a.example").is_err());
        assert!(Domain::parse("a-.example").is_err());
        assert!(Domain::parse("a-b.example").is_ok());
        assert!(Domain::parse("a.example.").is_err());
        assert!(Domain::parse("a_b.example").is_err());
    }

    #[test]
    fn utf8_addresses_need_smtputf8() {
        let m = Mailbox::parse("jörg@bücher.example").unwrap();
        assert!(!m.is_ascii());
        assert!(Mailbox::parse("a@b.example").unwrap().is_ascii());
    }

    #[test]
    fn paths_accept_brackets_null_and_postmaster() {
        assert_eq!(ReversePath::parse("").unwrap(), ReversePath::null());
        assert_eq!(ReversePath::parse("<>").unwrap().to_string(), "<>");
        assert_eq!(
            ReversePath::parse("<a@b.example>").unwrap().to_string(),
            "<a@b.example>"
        );
        assert_eq!(
            ForwardPath::parse("postmaster").unwrap(),
            ForwardPath::Postmaster
        );
        assert_eq!(
            ForwardPath::parse("<Postmaster>").unwrap().to_string(),
            "<Postmaster>"
        );
        assert!(ForwardPath::parse("<>").is_err());
        assert!(ForwardPath::parse("<@relay.example:a@b.example>").is_err());
        assert!(ReversePath::parse("<a@b.example").is_err());
    }
}
