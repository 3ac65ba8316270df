//! SMTP replies — RFC 5321 §4.2 (reply syntax and codes), §4.5.3.1.5 (reply line
//! length), RFC 3463 and RFC 2034 (enhanced status codes).
//!
//! The parser is incremental: it keeps the unfinished line and scans only new bytes
//! for its end, so a reply dribbled a byte at a time costs linear work. It holds at
//! most one bounded partial line plus the finished lines of one reply.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Default bound on one reply line, CRLF included (RFC 5321 §4.5.3.1.5 asks for 512;
/// real servers send longer, so we allow 4 KiB).
pub const DEFAULT_MAX_LINE: usize = 4096;
/// Default bound on a whole (multi-line) reply, in bytes as received.
pub const DEFAULT_MAX_REPLY: usize = 65536;

/// An enhanced mail system status code, `class.subject.detail` (RFC 3463 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnhancedCode {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    pub class: u8,
    /// Subject, 0–999.
    pub subject: u16,
    /// Detail, 0–999.
    pub detail: u16,
}

impl EnhancedCode {
    /// Parses exactly `class.subject.detail` (e.g. `5.1.1`), nothing before or after.
    pub fn parse(s: &str) -> Option<EnhancedCode> {
        let mut parts = s.split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        if parts.next().is_some() || !matches!(class, "2" | "4" | "5") {
            return None;
        }
        Some(EnhancedCode {
            class: class.as_bytes()[0] - b'0',
            subject: digits_1_3(subject)?,
            detail: digits_1_3(detail)?,
        })
    }

    /// Reads an enhanced code at the start of a reply text (RFC 2034 §4: followed by a
    /// space or the end of the text).
    fn at_start(text: &str) -> Option<EnhancedCode> {
        let word = text.split(' ').next()?;
        EnhancedCode::parse(word)
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One complete server reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code, 200–599.
    pub code: u16,
    /// The enhanced status code of the first line, when the server advertised
    /// ENHANCEDSTATUSCODES and its class matches the reply code's first digit.
    pub enhanced: Option<EnhancedCode>,
    /// The text of every line after the code and separator, in order, enhanced code
    /// included (the text is never cut). A reply `220\r\n` has one empty line.
    pub lines: Vec<String>,
}

impl Reply {
    /// A reply with `code` and the given line texts, without an enhanced code.
    #[must_use]
    pub fn new(code: u16, lines: Vec<String>) -> Reply {
        Reply {
            code,
            enhanced: None,
            lines,
        }
    }
    /// The first digit of the code (2–5).
    pub fn class(&self) -> u8 {
        (self.code / 100) as u8
    }
    /// 2yz: positive completion.
    pub fn is_positive(&self) -> bool {
        self.class() == 2
    }
    /// 3yz: positive intermediate (354, 334).
    pub fn is_intermediate(&self) -> bool {
        self.class() == 3
    }
    /// 4yz: transient negative completion.
    pub fn is_transient(&self) -> bool {
        self.class() == 4
    }
    /// 5yz: permanent negative completion.
    pub fn is_permanent(&self) -> bool {
        self.class() == 5
    }
    /// All lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
    /// Appends the reply in wire form (`250-a\r\n250 b\r\n`) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let last = self.lines.len().saturating_sub(1);
        let mut code = [b'0'; 3];
        code[0] += (self.code / 100 % 10) as u8;
        code[1] += (self.code / 10 % 10) as u8;
        code[2] += (self.code % 10) as u8;
        if self.lines.is_empty() {
            out.extend_from_slice(&code);
            out.extend_from_slice(b"\r\n");
        }
        for (i, line) in self.lines.iter().enumerate() {
            out.extend_from_slice(&code);
            if i < last {
                out.push(b'-');
            } else if !line.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// Bounds on what a [`ReplyParser`] buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyLimits {
    /// Longest accepted line, line ending included.
    pub max_line: usize,
    /// Longest accepted reply, all lines and line endings included.
    pub max_reply: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            max_line: DEFAULT_MAX_LINE,
            max_reply: DEFAULT_MAX_REPLY,
        }
    }
}

/// Why bytes from the server are not a valid reply. The server's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A line longer than [`ReplyLimits::max_line`].
    #[error("reply line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// A reply longer than [`ReplyLimits::max_reply`].
    #[error("reply longer than {limit} bytes")]
    ReplyTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The line does not start with three digits, the first 2–5.
    #[error("malformed reply code in line {line:?}")]
    BadCode {
        /// The offending line, lossily decoded.
        line: String,
    },
    /// The code is followed by something other than space, hyphen or end of line.
    #[error("malformed separator after reply code in line {line:?}")]
    BadSeparator {
        /// The offending line, lossily decoded.
        line: String,
    },
    /// A continuation line carries a different code than the first line.
    #[error("multi-line reply mixes codes {first} and {got}")]
    MixedCodes {
        /// Code of the first line.
        first: u16,
        /// Code of the offending line.
        got: u16,
    },
    /// A NUL or a CR that does not end the line.
    #[error("control byte {byte:#04x} inside a reply line")]
    ControlByte {
        /// The byte.
        byte: u8,
    },
}

/// Incremental reply parser: feed it bytes as they arrive, split anywhere.
#[derive(Debug, Clone)]
pub struct ReplyParser {
    limits: ReplyLimits,
    enhanced: bool,
    /// The unfinished line (no LF yet).
    partial: Vec<u8>,
    /// Finished lines of the reply in progress.
    lines: Vec<String>,
    /// The reply's code, from its first line.
    code: Option<u16>,
    /// Bytes of the reply so far, line endings included.
    reply_len: usize,
    /// Sticky failure.
    failed: Option<ReplyError>,
}

impl ReplyParser {
    /// A parser with the given bounds; enhanced codes off.
    #[must_use]
    pub fn new(limits: ReplyLimits) -> ReplyParser {
        ReplyParser {
            limits,
            enhanced: false,
            partial: Vec::new(),
            lines: Vec::new(),
            code: None,
            reply_len: 0,
            failed: None,
        }
    }

    /// Whether to parse enhanced status codes (set after EHLO advertised
    /// ENHANCEDSTATUSCODES, RFC 2034 §3).
    pub fn set_enhanced_codes(&mut self, on: bool) {
        self.enhanced = on;
    }

    /// Consumes bytes from the front of `input` up to the end of the first complete
    /// reply and returns it; or consumes all of `input` and returns `Ok(None)` when no
    /// reply completed yet. After an error the parser stays failed (every later call
    /// returns the same error) and the bytes consumed are unspecified.
    pub fn parse(&mut self, input: &mut &[u8]) -> Result<Option<Reply>, ReplyError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        while !input.is_empty() {
            let (take, complete) = match memchr::memchr(b'\n', input) {
                Some(i) => (i + 1, true),
                None => (input.len(), false),
            };
            let line_len = self.partial.len() + take;
            if line_len > self.limits.max_line {
                return Err(self.fail(ReplyError::LineTooLong {
                    limit: self.limits.max_line,
                }));
            }
            if self.reply_len + line_len > self.limits.max_reply {
                return Err(self.fail(ReplyError::ReplyTooLong {
                    limit: self.limits.max_reply,
                }));
            }
            self.partial.extend_from_slice(&input[..take]);
            *input = &input[take..];
            if !complete {
                return Ok(None);
            }
            self.reply_len += line_len;
            match self.finish_line() {
                Ok(Some(reply)) => return Ok(Some(reply)),
                Ok(None) => {}
                Err(e) => return Err(self.fail(e)),
            }
        }
        Ok(None)
    }

    /// True when no bytes of an unfinished reply are held.
    pub fn is_idle(&self) -> bool {
        self.partial.is_empty() && self.lines.is_empty()
    }

    /// Bytes held for the unfinished reply (bounded by the limits).
    pub fn buffered(&self) -> usize {
        self.partial.len() + self.lines.iter().map(String::len).sum::<usize>()
    }

    fn fail(&mut self, e: ReplyError) -> ReplyError {
        self.partial = Vec::new();
        self.lines = Vec::new();
        self.failed = Some(e.clone());
        e
    }

    /// Handles the line in `partial` (ending in LF); returns the reply when it was the last.
    fn finish_line(&mut self) -> Result<Option<Reply>, ReplyError> {
        let mut end = self.partial.len() - 1;
        if end > 0 && self.partial[end - 1] == b'\r' {
            end -= 1;
        }
        let line = &self.partial[..end];
        if let Some(&byte) = line.iter().find(|&&b| b == 0 || b == b'\r') {
            return Err(ReplyError::ControlByte { byte });
        }
        let lossy = || String::from_utf8_lossy(line).into_owned();
        let code = parse_code(line).ok_or_else(|| ReplyError::BadCode { line: lossy() })?;
        let last = match line.get(3) {
            None | Some(b' ') => true,
            Some(b'-') => false,
            Some(_) => return Err(ReplyError::BadSeparator { line: lossy() }),
        };
        if let Some(first) = self.code {
            if first != code {
                return Err(ReplyError::MixedCodes { first, got: code });
            }
        }
        self.code = Some(code);
        let text = String::from_utf8_lossy(line.get(4..).unwrap_or(&[])).into_owned();
        self.lines.push(text);
        self.partial.clear();
        if !last {
            return Ok(None);
        }
        let lines = core::mem::take(&mut self.lines);
        self.code = None;
        self.reply_len = 0;
        let enhanced = if self.enhanced {
            EnhancedCode::at_start(&lines[0]).filter(|e| u16::from(e.class) == code / 100)
        } else {
            None
        };
        Ok(Some(Reply {
            code,
            enhanced,
            lines,
        }))
    }
}

/// Three digits, the first 2–5 (RFC 5321 §4.2).
fn parse_code(line: &[u8]) -> Option<u16> {
    let d = line.get(..3)?;
    if !d.iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&d[0]) {
        return None;
    }
    Some(u16::from(d[0] - b'0') * 100 + u16::from(d[1] - b'0') * 10 + u16::from(d[2] - b'0'))
}

/// One to three decimal digits.
fn digits_1_3(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn parser(enhanced: bool) -> ReplyParser {
        let mut p = ReplyParser::new(ReplyLimits::default());
        p.set_enhanced_codes(enhanced);
        p
    }

    fn one(bytes: &[u8], enhanced: bool) -> Result<Option<Reply>, ReplyError> {
        let mut input = bytes;
        parser(enhanced).parse(&mut input)
    }

    #[test]
    fn parses_multiline_reply_as_one() {
        let r = one(
            b"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 10\r\n",
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.lines, vec!["mx.example", "PIPELINING", "SIZE 10"]);
    }

    #[test]
    fn need_more_is_none_never_an_error() {
        let mut p = parser(false);
        let mut a: &[u8] = b"250-a\r\n25";
        assert_eq!(p.parse(&mut a), Ok(None));
        assert!(a.is_empty());
        assert!(!p.is_idle());
        let mut b: &[u8] = b"0 b\r\n";
        assert_eq!(p.parse(&mut b).unwrap().unwrap().lines, vec!["a", "b"]);
        assert!(p.is_idle());
    }

    #[test]
    fn code_alone_is_valid_with_empty_text() {
        assert_eq!(one(b"220\r\n", false).unwrap().unwrap().lines, vec![""]);
        assert_eq!(
            one(b"220-\r\n220 x\r\n", false).unwrap().unwrap().lines,
            vec!["", "x"]
        );
    }

    #[test]
    fn accepts_lf_only_line_endings() {
        assert_eq!(
            one(b"250-a\n250 b\n", false).unwrap().unwrap().lines,
            vec!["a", "b"]
        );
    }

    #[test]
    fn refuses_bad_codes_and_separators() {
        for bad in [
            &b"199 x\r\n"[..],
            b"600 x\r\n",
            b"2x0 x\r\n",
            b"25\r\n",
            b"hello\r\n",
        ] {
            assert!(
                matches!(one(bad, false), Err(ReplyError::BadCode { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            one(b"250_x\r\n", false),
            Err(ReplyError::BadSeparator { .. })
        ));
        assert!(matches!(
            one(b"2500\r\n", false),
            Err(ReplyError::BadSeparator { .. })
        ));
    }

    #[test]
    fn refuses_mixed_codes() {
        assert_eq!(
            one(b"250-a\r\n251 b\r\n", false),
            Err(ReplyError::MixedCodes {
                first: 250,
                got: 251
            })
        );
    }

    #[test]
    fn refuses_nul_and_inner_cr_without_truncating() {
        assert_eq!(
            one(b"250 a\0b\r\n", false),
            Err(ReplyError::ControlByte { byte: 0 })
        );
        assert_eq!(
            one(b"250 a\rb\r\n", false),
            Err(ReplyError::ControlByte { byte: b'\r' })
        );
        // Other bytes (tab, high bytes) are kept.
        assert_eq!(
            one(b"250 a\tb\r\n", false).unwrap().unwrap().lines,
            vec!["a\tb"]
        );
    }

    #[test]
    fn overlong_line_fails_without_unbounded_buffering() {
        let mut p = ReplyParser::new(ReplyLimits {
            max_line: 16,
            max_reply: 64,
        });
        let mut chunk: &[u8] = b"250 0123456789";
        assert_eq!(p.parse(&mut chunk), Ok(None));
        let mut more: &[u8] = b"abcdefghij";
        assert_eq!(
            p.parse(&mut more),
            Err(ReplyError::LineTooLong { limit: 16 })
        );
        assert!(p.buffered() <= 16);
        // Sticky.
        let mut again: &[u8] = b"250 ok\r\n";
        assert_eq!(
            p.parse(&mut again),
            Err(ReplyError::LineTooLong { limit: 16 })
        );
    }

    #[test]
    fn too_many_continuation_lines_fail() {
        let mut p = ReplyParser::new(ReplyLimits {
            max_line: 16,
            max_reply: 40,
        });
        let mut input: &[u8] = b"250-aaaa\r\n250-bbbb\r\n250-cccc\r\n250-dddd\r\n250 e\r\n";
        assert_eq!(
            p.parse(&mut input),
            Err(ReplyError::ReplyTooLong { limit: 40 })
        );
    }

    #[test]
    fn enhanced_codes_only_when_on_and_class_matches() {
        let r = one(b"550 5.1.1 no such user\r\n", true).unwrap().unwrap();
        assert_eq!(
            r.enhanced,
            Some(EnhancedCode {
                class: 5,
                subject: 1,
                detail: 1
            })
        );
        assert_eq!(r.lines, vec!["5.1.1 no such user"]);
        assert_eq!(
            one(b"550 5.1.1 x\r\n", false).unwrap().unwrap().enhanced,
            None
        );
        assert_eq!(
            one(b"550 4.1.1 x\r\n", true).unwrap().unwrap().enhanced,
            None
        );
        for bad in [
            &b"250 2.1234.5 x\r\n"[..],
            b"250 2.1. x\r\n",
            b"250 2.1.1x\r\n",
            b"250 3.1.1 x\r\n",
        ] {
            let r = one(bad, true).unwrap().unwrap();
            assert_eq!(r.enhanced, None, "{bad:?}");
        }
        assert_eq!(
            one(b"250 2.0.0\r\n", true)
                .unwrap()
                .unwrap()
                .enhanced
                .unwrap()
                .to_string(),
            "2.0.0"
        );
    }

    #[test]
    fn second_reply_stays_in_the_input() {
        let mut p = parser(false);
        let mut input: &[u8] = b"250 one\r\n354 two\r\n";
        assert_eq!(p.parse(&mut input).unwrap().unwrap().code, 250);
        assert_eq!(input, b"354 two\r\n");
        assert_eq!(p.parse(&mut input).unwrap().unwrap().code, 354);
    }

    fn reply_strategy() -> impl Strategy<Value = Reply> {
        (200u16..600, proptest::collection::vec("[ -~]{0,40}", 1..5))
            .prop_map(|(code, lines)| Reply::new(code, lines))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        #[test]
        fn encode_then_parse_round_trips(r in reply_strategy()) {
            let mut wire = Vec::new();
            r.encode(&mut wire);
            let mut input = &wire[..];
            prop_assert_eq!(parser(false).parse(&mut input), Ok(Some(r)));
            prop_assert!(input.is_empty());
        }

        #[test]
        fn any_split_parses_as_whole(r in reply_strategy(), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
            let mut wire = Vec::new();
            r.encode(&mut wire);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (wire.len() + 1)).collect();
            cuts.sort_unstable();
            let mut p = parser(true);
            let mut got = None;
            let mut prev = 0;
            for c in cuts.into_iter().chain(core::iter::once(wire.len())) {
                let mut piece = &wire[prev..c];
                prev = c;
                if let Some(reply) = p.parse(&mut piece).unwrap() {
                    got = Some(reply);
                }
            }
            let mut whole = &wire[..];
            prop_assert_eq!(got, parser(true).parse(&mut whole).unwrap());
        }

        #[test]
        fn byte_soup_never_panics_and_stays_bounded(data in proptest::collection::vec(any::<u8>(), 0..600), step in 1usize..20) {
            let limits = ReplyLimits { max_line: 32, max_reply: 128 };
            let mut p = ReplyParser::new(limits);
            for chunk in data.chunks(step) {
                let mut input = chunk;
                while !input.is_empty() {
                    match p.parse(&mut input) {
                        Ok(Some(r)) => prop_assert!((200..600).contains(&r.code)),
                        Ok(None) => {}
                        Err(_) => break,
                    }
                }
                prop_assert!(p.buffered() <= limits.max_line + limits.max_reply);
            }
        }
    }
}
