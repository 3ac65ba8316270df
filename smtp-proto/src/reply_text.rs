//! The text of a [`Reply`](crate::Reply): short texts (most MAIL and RCPT replies,
//! `2.1.5 Ok`) are kept inline, longer ones in a shared buffer. An inline text costs
//! no allocation and no shared count, and does not pin the parser's buffer while an
//! event holds it (rule 20: what a session holds is bounded by what it keeps).

use bytes::Bytes;
use core::ops::Deref;

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
        let mut bytes = [0; INLINE_TEXT];
        copy_short(text, &mut bytes);
        Some(ReplyText::Inline { len, bytes })
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

/// Copies `text` (at most [`INLINE_TEXT`] bytes) to the front of `to` with at most
/// two fixed-size copies that may overlap (the first and the last 16, 8, 4 or 2
/// bytes), instead of a call to `memcpy` for a few bytes: this runs for every short
/// reply.
#[inline(always)]
fn copy_short(text: &[u8], to: &mut [u8; INLINE_TEXT]) {
    fn ends<const N: usize>(text: &[u8], to: &mut [u8]) {
        let n = text.len();
        to[..N].copy_from_slice(&text[..N]);
        to[n - N..n].copy_from_slice(&text[n - N..]);
    }
    match text.len() {
        16.. => ends::<16>(text, to),
        8.. => ends::<8>(text, to),
        4.. => ends::<4>(text, to),
        2.. => ends::<2>(text, to),
        1 => to[0] = text[0],
        0 => {}
    }
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
    fn short_copies_keep_every_byte_at_every_length() {
        let source: [u8; INLINE_TEXT] = core::array::from_fn(|i| i as u8 + 1);
        for n in 0..=INLINE_TEXT {
            let mut to = [0; INLINE_TEXT];
            copy_short(&source[..n], &mut to);
            assert_eq!(&to[..n], &source[..n], "length {n}");
            assert!(to[n..].iter().all(|&b| b == 0), "length {n}");
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
