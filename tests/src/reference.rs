//! Reference models the tests check the engine against, written the slow, obvious
//! way so they can be trusted.

/// rule 3 by hand: every bare CR and bare LF becomes CRLF.
pub fn normalise_line_endings(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\r' if body.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The message a body becomes on the wire under DATA (before stuffing) and under
/// BDAT alike: line endings normalised, and CRLF appended to a non-empty body that
/// does not end in one (behaviour choice 14).
pub fn canonical_body(body: &[u8]) -> Vec<u8> {
    let mut out = normalise_line_endings(body);
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}
