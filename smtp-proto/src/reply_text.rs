//! The text of a [`Reply`](crate::Reply): short texts (most MAIL and RCPT replies,
//! `2.1.5 Ok`) are kept inline, longer ones in a shared buffer. An inline text costs
//! no allocation and no shared count, and does not pin the parser's buffer while an
//! event holds it (rule 20: what a session holds is bounded by what it keeps).

use bytes::Bytes;
use core::ops::Deref;

use crate::swar::{tail_word, word_of};

/// Longest text kept inline: as much as fits beside the tag without making the text
/// (and so a reply) larger than a shared buffer's handle.
pub(crate) const INLINE_TEXT: usize = 23;

/// A reply's text bytes, lines joined by `\n`.
#[derive(Clone)]
pub(crate) enum ReplyText {
    /// `len` bytes of `bytes`.
    Inline { len: u8, bytes: [u8; INLINE_TEXT] },
    /// A slice of a shared buffer.
    Shared(Bytes),
}

impl ReplyText {
    /// The text `text`: inline when it fits, otherwise copied into a buffer of its own.
    pub(crate) fn copy_from(text: &[u8]) -> ReplyText {
        ReplyText::inline(text).unwrap_or_else(|| ReplyText::Shared(Bytes::copy_from_slice(text)))
    }

    /// `text` inline, when it fits.
    pub(crate) fn inline(text: &[u8]) -> Option<ReplyText> {
        let len = u8::try_from(text.len())
            .ok()
            .filter(|&n| usize::from(n) <= INLINE_TEXT)?;
        Some(ReplyText::Inline {
            len,
            bytes: inline_bytes(text),
        })
    }

    /// `text` as a shared buffer (no copy) — inline instead when short, so the buffer
    /// can be freed.
    pub(crate) fn from_vec(text: alloc::vec::Vec<u8>) -> ReplyText {
        ReplyText::inline(&text).unwrap_or_else(|| ReplyText::Shared(Bytes::from(text)))
    }

    /// The text as a shared buffer: the same one when it is shared, a copy when inline.
    pub(crate) fn to_bytes(&self) -> Bytes {
        match self {
            ReplyText::Shared(b) => b.clone(),
            ReplyText::Inline { .. } => Bytes::copy_from_slice(self),
        }
    }
}

/// `text` (at most [`INLINE_TEXT`] bytes), zero-padded. This runs for every short
/// reply, so it neither calls `memcpy` for a few bytes nor stores them one by one:
/// the three words of the result are built in registers from at most three loads
/// (overlapping where the text is shorter than they are, the excess shifted out)
/// and stored whole. Narrow stores read back by the reply's wide moves cost more
/// than the copy itself (store forwarding fails): 24 ns a reply against 20 ns.
#[inline(always)]
fn inline_bytes(text: &[u8]) -> [u8; INLINE_TEXT] {
    let n = text.len();
    let load8 = |i: usize| word_of(&text[i..i + 8]);
    let (w0, w1, w2) = match n {
        16.. => (load8(0), load8(8), tail_word(text, n - 16)),
        8.. => (load8(0), tail_word(text, n - 8), 0),
        _ => (word_of(text), 0, 0),
    };
    let mut bytes = [0; INLINE_TEXT];
    bytes[..8].copy_from_slice(&w0.to_le_bytes());
    bytes[8..16].copy_from_slice(&w1.to_le_bytes());
    bytes[16..].copy_from_slice(&w2.to_le_bytes()[..7]);
    bytes
}

impl Deref for ReplyText {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            ReplyText::Inline { len, bytes } => &bytes[..usize::from(*len)],
            ReplyText::Shared(b) => b,
        }
    }
}

impl PartialEq for ReplyText {
    /// Texts are equal when their bytes are, wherever they are kept.
    fn eq(&self, other: &ReplyText) -> bool {
        **self == **other
    }
}

impl Eq for ReplyText {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_inline_and_long_ones_shared() {
        let short = ReplyText::copy_from(b"2.1.5 Ok");
        assert!(matches!(short, ReplyText::Inline { len: 8, .. }));
        assert_eq!(&*short, b"2.1.5 Ok");
        let exact = [b'x'; INLINE_TEXT];
        assert!(matches!(
            ReplyText::copy_from(&exact),
            ReplyText::Inline { .. }
        ));
        let long = [b'x'; INLINE_TEXT + 1];
        assert!(matches!(ReplyText::copy_from(&long), ReplyText::Shared(_)));
        assert_eq!(&*ReplyText::copy_from(&long), &long[..]);
        assert!(matches!(
            ReplyText::from_vec(b"ok".to_vec()),
            ReplyText::Inline { len: 2, .. }
        ));
        assert_eq!(&ReplyText::copy_from(b"").to_bytes()[..], b"");
    }

    #[test]
    fn inline_bytes_keep_every_byte_at_every_length_and_pad_with_zeros() {
        // Distinct non-zero bytes, from any offset of a longer buffer (the loads of
        // a short text must not reach past it).
        let source: [u8; 40] = core::array::from_fn(|i| i as u8 + 1);
        for start in 0..8 {
            for n in 0..=INLINE_TEXT {
                let text = &source[start..start + n];
                let got = inline_bytes(text);
                assert_eq!(&got[..n], text, "length {n} from {start}");
                assert!(got[n..].iter().all(|&b| b == 0), "length {n} from {start}");
            }
        }
    }

    #[test]
    fn equality_is_by_content_wherever_kept() {
        let text = b"2.0.0 Ok";
        let inline = ReplyText::copy_from(text);
        let shared = ReplyText::Shared(Bytes::from_static(text));
        assert!(inline == shared);
        assert!(shared == inline);
        assert!(inline != ReplyText::copy_from(b"2.0.0 OK"));
        assert_eq!(&inline.to_bytes()[..], text);
        assert_eq!(
            core::mem::size_of::<ReplyText>(),
            core::mem::size_of::<Bytes>()
        );
    }
}
