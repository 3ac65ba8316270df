//! Eight bytes at a time in a `u64` ("SIMD within a register"), for the scans that
//! run on every reply and every EHLO line (`line_scan`, `capabilities`) and for
//! building short reply texts (`reply_text`). Words are read little-endian, so the
//! first byte is the lowest lane. Safe Rust only: loads are slice-to-array
//! conversions the compiler turns into single moves.

/// Eight copies of `b`, one per byte of a word.
pub(crate) const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// The high bit of every byte: set in a word that holds a byte that is not ASCII.
pub(crate) const HIGH: u64 = splat(0x80);

/// The high bit set in the bytes of `w` below `n` (`1 <= n <= 0x80`). Exact for the
/// lowest one: the subtraction borrows into a byte's high bit when the byte is below
/// `n`, or when a lower byte already borrowed, so a false mark only ever sits above
/// a true one. Only the lowest mark is read ([`first_mark`]), and the lowest marks of
/// two different tests never share a lane, so `|` and `^` between them find the
/// same one.
#[inline(always)]
pub(crate) fn below_marks(w: u64, n: u8) -> u64 {
    w.wrapping_sub(splat(n)) & !w & HIGH
}

/// The high bit set in the bytes of `w` equal to `b` (exact for the lowest one, as
/// [`below_marks`]: a byte equal to `b` is a zero byte of `w ^ splat(b)`).
#[inline(always)]
pub(crate) fn equal_marks(w: u64, b: u8) -> u64 {
    below_marks(w ^ splat(b), 1)
}

/// The lane of the lowest mark, if any.
#[inline(always)]
pub(crate) fn first_mark(marks: u64) -> Option<usize> {
    (marks != 0).then(|| marks.trailing_zeros() as usize / 8)
}

/// The bytes of `bytes` (at most eight) as a word, the first one lowest, zeros
/// after: one load for eight, two overlapping ones for four to seven, else byte by
/// byte. (Taking four to seven bytes one by one too is only slower, and the shifted
/// word has a zero low byte, so `|` and `^` are the same there: equivalent mutants.)
#[inline(always)]
pub(crate) fn word_of(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let load4 = |i: usize| {
        u64::from(u32::from_le_bytes(
            bytes[i..i + 4].try_into().unwrap_or_default(),
        ))
    };
    match bytes.first_chunk::<8>() {
        Some(b) => u64::from_le_bytes(*b),
        None if n >= 4 => load4(0) | (load4(n - 4) << (8 * (n - 4))),
        None => bytes.iter().rev().fold(0, |w, &b| (w << 8) | u64::from(b)),
    }
}

/// The last `n` bytes of `text` (0 to 7) as a word, zeros after: one load of its
/// last eight bytes, shifted, when `text` has eight.
#[inline(always)]
pub(crate) fn tail_word(text: &[u8], n: usize) -> u64 {
    match text.last_chunk::<8>() {
        Some(_) if n == 0 => 0,
        Some(b) => u64::from_le_bytes(*b) >> (8 * (8 - n)),
        None => word_of(&text[text.len() - n..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first byte of `word` below `0x0e` (a possible NUL, LF or CR).
    fn first_low_byte(word: u64) -> Option<usize> {
        first_mark(below_marks(word, 0x0e))
    }

    #[test]
    fn low_bytes_are_found_in_any_lane_and_only_those() {
        for lane in 0..8 {
            for byte in 0..=255u8 {
                let mut word = [b'a'; 8];
                word[lane] = byte;
                let got = first_low_byte(u64::from_le_bytes(word));
                assert_eq!(
                    got,
                    (byte < 0x0e).then_some(lane),
                    "{byte:#x} in lane {lane}"
                );
            }
        }
        // Bytes at and above 0x80 borrow nothing (the high bit is masked by !word).
        assert_eq!(first_low_byte(splat(0x8d)), None);
        assert_eq!(first_low_byte(splat(0x0e)), None);
        assert_eq!(first_low_byte(splat(0x0d)), Some(0));
        // A borrow out of a low byte can mark the byte above it: the lowest counts.
        assert_eq!(
            first_low_byte(u64::from_le_bytes(*b"ab\x00\x0e\x01xyz")),
            Some(2)
        );
    }

    #[test]
    fn zero_bytes_are_found_in_any_lane_and_only_those() {
        let first_zero_byte = |w| first_mark(below_marks(w, 1));
        for lane in 0..8 {
            for byte in 0..=255u8 {
                let mut word = [0xff; 8];
                word[lane] = byte;
                let got = first_zero_byte(u64::from_le_bytes(word));
                assert_eq!(got, (byte == 0).then_some(lane), "{byte:#x} in lane {lane}");
            }
        }
        assert_eq!(
            first_zero_byte(u64::from_le_bytes(*b"a\x01\x00\x00bcde")),
            Some(2)
        );
    }

    #[test]
    fn equal_bytes_are_marked_at_the_lowest_lane() {
        for lane in 0..8 {
            let mut word = *b"abcdefgh";
            word[lane] = b'\n';
            assert_eq!(
                first_mark(equal_marks(u64::from_le_bytes(word), b'\n')),
                Some(lane)
            );
        }
        assert_eq!(equal_marks(u64::from_le_bytes(*b"abcdefgh"), b'\n'), 0);
    }

    #[test]
    fn words_and_tails_keep_every_byte_and_pad_with_zeros() {
        let source: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
        for n in 0..=8 {
            let mut want = [0u8; 8];
            want[..n].copy_from_slice(&source[..n]);
            assert_eq!(word_of(&source[..n]).to_le_bytes(), want, "word_of {n}");
        }
        for len in 0..=16 {
            for n in 0..=len.min(7) {
                let text = &source[..len];
                let mut want = [0u8; 8];
                want[..n].copy_from_slice(&text[len - n..]);
                assert_eq!(tail_word(text, n).to_le_bytes(), want, "tail {n} of {len}");
            }
        }
    }
}
