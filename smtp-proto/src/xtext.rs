//! xtext encoding — RFC 3461 §4 (ENVID, ORCPT), and RFC 6533 §3 (`utf-8-addr-xtext`,
//! `utf-8-addr-unitext`) for internationalized original recipients.
//!
//! SKELETON: signatures are the contract other modules code against.

use alloc::string::String;

/// Appends `s` xtext-encoded (RFC 3461 §4): `+`, `=`, and bytes outside `!`..`~`
/// become `+XX` (upper-case hex). The input must be ASCII.
pub fn encode_xtext(s: &str, out: &mut String) {
    let _ = (s, out);
    todo!()
}

/// Appends `s` as `utf-8-addr-xtext` (RFC 6533 §3): ASCII as xtext, non-ASCII
/// characters as `\x{HHHH}`; `\` itself is escaped too.
pub fn encode_utf8_addr_xtext(s: &str, out: &mut String) {
    let _ = (s, out);
    todo!()
}

/// Appends `s` as `utf-8-addr-unitext` (RFC 6533 §3): like `utf-8-addr-xtext` but
/// non-ASCII characters pass through as UTF-8 (only with SMTPUTF8).
pub fn encode_utf8_addr_unitext(s: &str, out: &mut String) {
    let _ = (s, out);
    todo!()
}

/// Decodes xtext; `None` when malformed (a `+` not followed by two upper-case hex digits).
pub fn decode_xtext(s: &str) -> Option<String> {
    let _ = s;
    todo!()
}
