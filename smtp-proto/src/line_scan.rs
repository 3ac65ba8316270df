//! Finding where a reply line ends — RFC 5321 §2.3.8 (lines end in CRLF) and
//! §4.2 (a reply line holds no CR or LF of its own); rule 4 (a NUL inside a line is
//! refused).
//!
//! A reply line is short (most are under 64 bytes), so the scan reads it eight bytes
//! at a time as a word and asks of each word only "is any byte a control byte at or
//! below CR?": one subtraction, two masks, no branch per byte. A word that says yes is
//! then read byte by byte. Past [`SHORT`] bytes `memchr3` takes over, whose set-up
//! costs more than it saves on short lines.

/// Bytes scanned by words before `memchr3` takes over.
const SHORT: usize = 64;

use crate::swar::{below_marks, equal_marks, first_mark};

/// The first LF in `b`, if any: where a line that arrives in pieces ends.
#[inline]
pub(crate) fn first_lf(b: &[u8]) -> Option<usize> {
    let head = &b[..b.len().min(SHORT)];
    let mut pos = 0;
    while let Some(word) = head.get(pos..pos + 8) {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        if let Some(lane) = first_mark(equal_marks(word, b'\n')) {
            return Some(pos + lane);
        }
        pos += 8;
    }
    if let Some(i) = head[pos..].iter().position(|&byte| byte == b'\n') {
        return Some(pos + i);
    }
    beyond_head(b, |rest| memchr::memchr(b'\n', rest))
}

/// `find` over what lies past the first [`SHORT`] bytes of `b`, as an index into `b`;
/// nothing to look at (and no call) when `b` is short.
#[inline(always)]
fn beyond_head(b: &[u8], find: impl FnOnce(&[u8]) -> Option<usize>) -> Option<usize> {
    let rest = b.get(SHORT..).filter(|rest| !rest.is_empty())?;
    find(rest).map(|i| i + SHORT)
}

/// The first LF, CR or NUL in `b`, if any. Other bytes below `0x0e` (a tab) are
/// allowed in a line's text and are passed over.
#[inline]
pub(crate) fn first_line_break_or_nul(b: &[u8]) -> Option<usize> {
    let head = &b[..b.len().min(SHORT)];
    let is_break = |byte: u8| matches!(byte, b'\n' | b'\r' | 0);
    let mut pos = 0;
    while let Some(word) = head.get(pos..pos + 8) {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        // Any byte below 0x0e may be LF, CR or NUL.
        match first_mark(below_marks(word, 0x0e)) {
            Some(lane) if is_break(head[pos + lane]) => return Some(pos + lane),
            Some(lane) => pos += lane + 1, // a tab or the like: go on after it
            None => pos += 8,
        }
    }
    if let Some(i) = head[pos..].iter().position(|&byte| is_break(byte)) {
        return Some(pos + i);
    }
    beyond_head(b, |rest| memchr::memchr3(b'\n', b'\r', 0, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain answer: every byte looked at in turn.
    fn reference(b: &[u8]) -> Option<usize> {
        b.iter().position(|&x| matches!(x, b'\n' | b'\r' | 0))
    }

    #[test]
    fn finds_the_first_break_wherever_it_is() {
        for len in 0..(SHORT + 40) {
            for at in 0..len {
                for byte in [b'\n', b'\r', 0] {
                    let mut line = alloc::vec![b'x'; len];
                    line[at] = byte;
                    assert_eq!(first_line_break_or_nul(&line), Some(at), "{len} {at}");
                }
            }
            assert_eq!(first_line_break_or_nul(&alloc::vec![b'x'; len]), None);
        }
    }

    #[test]
    fn finds_the_first_lf_wherever_it_is() {
        for len in 0..(SHORT + 40) {
            for at in 0..len {
                let mut line = alloc::vec![b'\r'; len];
                line[at] = b'\n';
                if at + 1 < len {
                    line[len - 1] = b'\n';
                }
                assert_eq!(first_lf(&line), Some(at), "{len} {at}");
            }
            // Bytes one off an LF (0x0b, 0x09) and high bytes are not LFs.
            let plain: alloc::vec::Vec<u8> =
                (0..len).map(|i| [0x0b, 0x09, 0x8a, 0][i % 4]).collect();
            assert_eq!(first_lf(&plain), None, "{len}");
        }
    }

    #[test]
    fn tabs_and_other_low_bytes_are_passed_over() {
        let mut line = alloc::vec![b'\t'; 30];
        line[3] = 0x0b;
        line[17] = 0x01;
        line.extend_from_slice(b"ok\r\n");
        assert_eq!(first_line_break_or_nul(&line), Some(32));
        assert_eq!(first_line_break_or_nul(&line), reference(&line));
        let mut long = alloc::vec![0x7f; SHORT + 5];
        long.push(b'\n');
        assert_eq!(first_line_break_or_nul(&long), Some(SHORT + 5));
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_plain_scan(b in proptest::collection::vec(
            proptest::prop_oneof![0u8..16, 0x20u8..0x80, 0x80u8..=0xff], 0..160)) {
            proptest::prop_assert_eq!(first_line_break_or_nul(&b), reference(&b));
            proptest::prop_assert_eq!(first_lf(&b), b.iter().position(|&x| x == b'\n'));
        }
    }
}
