//! Showing server text safely (rule 20). A server controls the text of its replies;
//! written raw into a log or a terminal it could forge log lines (`\n2030-01-01 INFO
//! delivered`), move the cursor or clear the screen (`\x1b[2J`), or reorder what a
//! reader sees (Unicode bidirectional overrides). Every `Display` of server text in
//! this crate goes through [`Escaped`]; the raw bytes stay available on
//! [`Reply`](crate::Reply).

use core::fmt::{self, Write as _};

/// Displays bytes as text with every control character escaped: C0 and C1 controls
/// and DEL as `\n`, `\r`, `\t` or `\xNN`, the Unicode line separators and bidi
/// controls as `\u{NNNN}`, a backslash as `\\`, and invalid UTF-8 as `\xNN` per byte.
/// The output never contains a line break or an escape sequence.
#[derive(Clone, Copy)]
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                write_char(f, c)?;
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        fmt::Display::fmt(self, f)?;
        f.write_char('"')
    }
}

fn write_char(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    match c {
        '\n' => f.write_str("\\n"),
        '\r' => f.write_str("\\r"),
        '\t' => f.write_str("\\t"),
        '\\' => f.write_str("\\\\"),
        c if (c as u32) < 0x20 || ('\u{7f}'..='\u{9f}').contains(&c) => {
            write!(f, "\\x{:02x}", c as u32)
        }
        // Line and paragraph separators, bidi embeddings, overrides and isolates.
        '\u{2028}'
        | '\u{2029}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => write!(f, "\\u{{{:04x}}}", c as u32),
        c => f.write_char(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn control_characters_cannot_reach_the_output() {
        let hostile = b"550 no\n2030-01-01 INFO delivered ok\x1b[2J\r\x00\x7f\\";
        let shown = format!("{}", Escaped(hostile));
        assert_eq!(
            shown,
            "550 no\\n2030-01-01 INFO delivered ok\\x1b[2J\\r\\x00\\x7f\\\\"
        );
        assert!(!shown.chars().any(char::is_control));
    }

    #[test]
    fn invalid_utf8_and_bidi_controls_are_escaped_printable_text_is_kept() {
        let shown = format!("{}", Escaped("ok \u{202e}evil\u{2028}é\u{85}".as_bytes()));
        assert_eq!(shown, "ok \\u{202e}evil\\u{2028}é\\x85");
        assert_eq!(format!("{}", Escaped(b"a\xff\xfeb")), "a\\xff\\xfeb");
        assert_eq!(format!("{:?}", Escaped(b"x\ty")), "\"x\\ty\"");
    }
}
