//! Strings for the targets that build values through public constructors: drawn from
//! tokens that matter to the grammars (brackets, quotes, `@`, literals, line breaks,
//! non-ASCII), so the fuzzer reaches both sides of every check quickly.

use arbitrary::{Arbitrary, Unstructured};

const TOKENS: &[&str] = &[
    "a",
    "b",
    "Z",
    "0",
    "9",
    ".",
    "-",
    "_",
    "@",
    "<",
    ">",
    "\"",
    "\\",
    "[",
    "]",
    ":",
    ";",
    ",",
    "=",
    "+",
    " ",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "\0",
    "\x01",
    "\x7f",
    "é",
    "ü",
    "日本",
    "\u{200b}",
    "IPv6:",
    "ipv6:",
    "::1",
    "2001:db8::1",
    "192.0.2.1",
    "256.0.0.1",
    "1.2.3",
    "example.org",
    "xn--bcher-kva",
    "Postmaster",
    "postmaster",
    "rfc822",
    "utf-8",
    "SIZE",
    "BODY",
    "NOTIFY",
    "ORCPT",
    "X-TAG",
    "*",
    "%",
    "~",
    "!",
    "#",
    "$",
    "&",
    "'",
    "(",
    ")",
    "{",
    "}",
    "|",
    "?",
    "/",
    "^",
    "`",
];

/// A string of up to `max` tokens; one byte in 16 makes it a fully arbitrary string.
pub fn text(u: &mut Unstructured<'_>, max: usize) -> arbitrary::Result<String> {
    if u8::arbitrary(u)? < 16 {
        let s = String::arbitrary(u)?;
        return Ok(s.chars().take(max * 4).collect());
    }
    let n = u.int_in_range(0..=max)?;
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(u.choose(TOKENS)?);
    }
    Ok(s)
}

/// A long run of one token now and then, to reach the length limits.
pub fn long_text(u: &mut Unstructured<'_>, max: usize) -> arbitrary::Result<String> {
    if u8::arbitrary(u)? < 24 {
        let unit = u.choose(&["a", "a.", "ab-", "é", "x@y."])?;
        let n = u.int_in_range(1..=600)?;
        let mut s = unit.repeat(n);
        s.push_str(&text(u, 4)?);
        return Ok(s);
    }
    text(u, max)
}

/// True when `bytes` holds a CR, LF or NUL.
pub fn has_line_break_or_nul(bytes: &[u8]) -> bool {
    bytes.iter().any(|b| matches!(b, b'\r' | b'\n' | 0))
}
