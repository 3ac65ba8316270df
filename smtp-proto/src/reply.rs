//! SMTP replies — RFC 5321 §4.2 (reply syntax and codes), §4.5.3.1.5 (reply line
//! length), RFC 3463 and RFC 2034 (enhanced status codes).
//!
//! The parser is incremental: it keeps the unfinished line and scans only new bytes
//! for its end, so a reply dribbled a byte at a time costs linear work. It holds at
//! most one bounded partial line plus the finished lines of one reply.

use alloc::string::String;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};
use core::fmt;

use crate::escape::Escaped;
use crate::line_scan::{first_lf, first_line_break_or_nul};
use crate::reply_text::{ReplyText, INLINE_TEXT};

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
        EnhancedCode::scan(s.as_bytes()).and_then(|(code, len)| (len == s.len()).then_some(code))
    }

    /// Reads an enhanced code at the start of a reply text (RFC 2034 §4: followed by a
    /// space, the end of the line or the end of the text).
    #[inline(always)]
    fn at_start(text: &[u8]) -> Option<EnhancedCode> {
        let (code, len) = EnhancedCode::scan(text)?;
        matches!(text.get(len), None | Some(b' ' | b'\n')).then_some(code)
    }

    /// `class.subject.detail` at the start of `b`, in one pass over its bytes: the
    /// code and how many bytes it took.
    #[inline(always)]
    fn scan(b: &[u8]) -> Option<(EnhancedCode, usize)> {
        let (&class, rest) = b.split_first()?;
        if !matches!(class, b'2' | b'4' | b'5') {
            return None;
        }
        let rest = rest.strip_prefix(b".")?;
        let (subject, n) = digits_1_3(rest)?;
        let rest = rest[n..].strip_prefix(b".")?;
        let (detail, m) = digits_1_3(rest)?;
        let code = EnhancedCode {
            class: class - b'0',
            subject,
            detail,
        };
        Some((code, 2 + n + 1 + m))
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One complete server reply: its code, its enhanced code, and the text of its lines
/// as the server sent them (raw bytes, joined with `\n` — a line can hold neither
/// LF nor CR nor NUL, so nothing is lost). The text is one shared buffer: cloning a
/// reply copies no text. `Display` escapes control characters (rule 20); the raw
/// bytes are [`Reply::raw_text`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply {
    /// The three-digit reply code, 200–599.
    pub code: u16,
    /// The enhanced status code of the first line, when the server advertised
    /// ENHANCEDSTATUSCODES and its class matches the reply code's first digit.
    pub enhanced: Option<EnhancedCode>,
    /// Every line's text after the code and separator, enhanced code included (the
    /// text is never cut unless a transaction's text budget ran out), joined by `\n`.
    text: ReplyText,
}

impl Reply {
    /// A reply with `code` and the given line texts, without an enhanced code. A CR,
    /// LF or NUL inside a line (which no parsed reply can hold) becomes a space.
    #[must_use]
    pub fn new(code: u16, lines: &[&str]) -> Reply {
        let mut text = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                text.push(b'\n');
            }
            text.extend(line.bytes().map(|b| match b {
                b'\r' | b'\n' | 0 => b' ',
                b => b,
            }));
        }
        Reply {
            code,
            enhanced: None,
            text: ReplyText::from_vec(text),
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
    /// Each line's raw text, in order (a reply `220\r\n` has one empty line).
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.text.split(|&b| b == b'\n')
    }
    /// The first line's raw text.
    pub fn first_line(&self) -> &[u8] {
        self.lines().next().unwrap_or(&[])
    }
    /// How many lines the reply has (at least one).
    pub fn line_count(&self) -> usize {
        memchr::memchr_iter(b'\n', &self.text).count() + 1
    }
    /// Every line's raw text joined with `\n`, exactly as received.
    pub fn raw_text(&self) -> &[u8] {
        &self.text
    }
    /// The text as a string (invalid UTF-8 replaced), lines joined with `\n`. Not
    /// escaped: use `Display` (or [`Escaped`]) to show it.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }
    /// Appends the reply in wire form (`250-a\r\n250 b\r\n`) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let last = self.line_count() - 1;
        let mut code = [b'0'; 3];
        code[0] += (self.code / 100 % 10) as u8;
        code[1] += (self.code / 10 % 10) as u8;
        code[2] += (self.code % 10) as u8;
        for (i, line) in self.lines().enumerate() {
            out.extend_from_slice(&code);
            if i < last {
                out.push(b'-');
            } else if !line.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// The text buffer itself, shared (no copy).
    pub(crate) fn shared_text(&self) -> Bytes {
        self.text.to_bytes()
    }

    /// This reply with its text cut to at most `max` bytes (a marker says so), in a
    /// buffer of its own so the long original can be freed.
    pub(crate) fn truncated(&self, max: usize) -> Reply {
        const MARKER: &[u8] = b" [truncated]";
        if self.text.len() <= max {
            return self.clone();
        }
        let mut text = Vec::with_capacity(max + MARKER.len());
        text.extend_from_slice(&self.text[..max]);
        text.extend_from_slice(MARKER);
        Reply {
            code: self.code,
            enhanced: self.enhanced,
            text: ReplyText::from_vec(text),
        }
    }
}

impl fmt::Display for Reply {
    /// `550 5.1.1 no such user`, lines separated by an escaped `\n`: never a raw
    /// control character (rule 20).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, Escaped(&self.text))
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code)
            .field("enhanced", &self.enhanced)
            .field("text", &Escaped(&self.text))
            .finish()
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
///
/// It holds one buffer: the texts of the reply's finished lines, then the raw bytes of
/// the line in progress. Each byte is scanned for the line end once; a finished line
/// is checked in place and its code and separator are cut off, so what is held never
/// exceeds what was received for the reply, whatever its encoding (rule 4).
#[derive(Debug, Clone)]
pub struct ReplyParser {
    limits: ReplyLimits,
    enhanced: bool,
    /// Finished lines' texts joined by `\n` (with a trailing `\n` while more lines
    /// follow), then the unfinished line as received.
    buf: BytesMut,
    /// Where the unfinished line starts in `buf`.
    line_start: usize,
    /// The reply's code, from its first line.
    code: Option<u16>,
    /// Bytes of the reply's finished lines as received, line endings included.
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
            buf: BytesMut::new(),
            line_start: 0,
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
        if self.buf.is_empty() && self.failed.is_none() {
            if let Some((reply, take)) = self.short_reply(input) {
                *input = &input[take..];
                return Ok(Some(reply));
            }
        }
        self.parse_lines(input)
    }

    /// [`ReplyParser::parse`] past its shortest path: line by line, each either whole
    /// in `input` ([`ReplyParser::whole_line`]) or buffered until its end arrives.
    /// Kept out of line so that the shortest path pays none of its set-up.
    #[inline(never)]
    fn parse_lines(&mut self, input: &mut &[u8]) -> Result<Option<Reply>, ReplyError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        while !input.is_empty() {
            // Where the first LF is, when the fast path already knows there is none.
            let mut lf = None;
            if self.buf.len() == self.line_start {
                match self.whole_line(input) {
                    Ok(Line::Last(code)) => return Ok(Some(self.finish_reply(code))),
                    Ok(Line::Short(reply)) => return Ok(Some(reply)),
                    Ok(Line::More) => continue,
                    Ok(Line::NoBreak) => lf = Some(None),
                    Ok(Line::Buffer) => {}
                    Err(e) => return Err(self.fail(e)),
                }
            }
            let (take, complete) = match lf.unwrap_or_else(|| first_lf(input)) {
                Some(i) => (i + 1, true),
                None => (input.len(), false),
            };
            let line_len = self.buf.len() - self.line_start + take;
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
            // Replies split off earlier share the buffer: it grows in working-size
            // steps, so a new one is needed only while those are still held (no
            // allocation per reply in steady state). This and the same step below
            // decide only when memory is taken, never what is parsed: mutants of
            // them are equivalent in output, and the counts are checked in steady
            // state by tests/allocations.rs.
            if self.buf.capacity() - self.buf.len() < take {
                self.buf.reserve(take.max(REPLY_BUFFER_STEP));
            }
            self.buf.extend_from_slice(&input[..take]);
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
        self.buf.is_empty()
    }

    /// Bytes held for the unfinished reply: at most what was received of it, so
    /// within [`ReplyLimits::max_reply`].
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn fail(&mut self, e: ReplyError) -> ReplyError {
        self.buf = BytesMut::new();
        self.line_start = 0;
        self.failed = Some(e.clone());
        e
    }

    /// The fast path (any mutant that only makes it decline a line is equivalent: the
    /// buffering path then gives the same reply or error; the limits are checked there
    /// again, at the exact boundary, by `limits_hold_exactly_at_the_boundary`), for a
    /// line that starts at the front of `input` and ends in it:
    /// one scan finds its end (and would find a CR or NUL inside it), its code is read
    /// in place and only its text is copied. Anything unusual — no line end yet, a CR
    /// or NUL inside, a limit reached — is left to the buffering path, which reports
    /// exactly what is wrong.
    fn whole_line(&mut self, input: &mut &[u8]) -> Result<Line, ReplyError> {
        let Some(i) = first_line_break_or_nul(input) else {
            return Ok(Line::NoBreak);
        };
        let take = match input[i] {
            b'\n' => i + 1,
            b'\r' if input.get(i + 1) == Some(&b'\n') => i + 2,
            _ => return Ok(Line::Buffer),
        };
        if take > self.limits.max_line || self.reply_len + take > self.limits.max_reply {
            return Ok(Line::Buffer);
        }
        let line = &input[..i];
        let (code, last) = line_head(line, self.code)?;
        self.code = Some(code);
        let text = line.get(4..).unwrap_or_default();
        if last && self.buf.is_empty() {
            // A one-line reply whose text fits inline never touches the buffer.
            if let Some(text) = ReplyText::inline(text) {
                *input = &input[take..];
                return Ok(Line::Short(self.reply_of(code, text)));
            }
        }
        if self.buf.capacity() - self.buf.len() < text.len() + 1 {
            self.buf.reserve((text.len() + 1).max(REPLY_BUFFER_STEP));
        }
        self.buf.extend_from_slice(text);
        *input = &input[take..];
        self.reply_len += take;
        if !last {
            self.buf.extend_from_slice(b"\n");
            self.line_start = self.buf.len();
            return Ok(Line::More);
        }
        Ok(Line::Last(code))
    }

    /// The shortest path, for the commonest reply (every MAIL, RCPT and DATA reply
    /// of a transaction): one line `code SP text CRLF` whose text fits inline,
    /// arriving whole at an idle parser. It looks at no more than that line's bytes
    /// and builds the reply in place; anything else (a continuation, a longer text, a
    /// control byte, a limit) is declined (`None`) for [`ReplyParser::whole_line`]
    /// and the buffering path, which give the same reply or the exact error. Returns
    /// the reply and the bytes it took. (A mutant that only makes it decline is
    /// equivalent, as for `whole_line`.)
    #[inline(always)]
    fn short_reply(&self, input: &[u8]) -> Option<(Reply, usize)> {
        let head = input.get(..4)?;
        if head[3] != b' ' {
            return None;
        }
        let code = parse_code(head)?;
        // The text and its line end, when the text fits inline. (A longer window
        // finds longer texts, which `inline` declines; a shorter one declines texts
        // that fit: mutants of its size are equivalent.)
        let window = &input[4..input.len().min(4 + INLINE_TEXT + 2)];
        let end = first_line_break_or_nul(window)?;
        let take = 4 + match (window[end], window.get(end + 1)) {
            (b'\n', _) => end + 1,
            (b'\r', Some(b'\n')) => end + 2,
            _ => return None, // a NUL or a bare CR: the general path reports it
        };
        // Declining at the bounds too (`>=`) is equivalent: the buffering path then
        // accepts the line, or refuses it with the exact error.
        if take > self.limits.max_line || take > self.limits.max_reply {
            return None;
        }
        let text = &window[..end];
        let enhanced = self.enhanced_code(code, text);
        let text = ReplyText::inline(text)?;
        Some((
            Reply {
                code,
                enhanced,
                text,
            },
            take,
        ))
    }

    /// The enhanced code at the start of `text`, when enhanced codes are on and its
    /// class is the reply code's first digit (RFC 3463 §2, RFC 2034 §4).
    #[inline(always)]
    fn enhanced_code(&self, code: u16, text: &[u8]) -> Option<EnhancedCode> {
        if !self.enhanced {
            return None;
        }
        EnhancedCode::at_start(text).filter(|e| u16::from(e.class) == code / 100)
    }

    /// Handles the line at `line_start` (ending in LF); returns the reply when it was
    /// the last.
    fn finish_line(&mut self) -> Result<Option<Reply>, ReplyError> {
        let start = self.line_start;
        // A bare `\n` line always arrives whole and takes the fast path, so here the
        // line holds at least one byte before its LF (`end >= start` is equivalent).
        let mut end = self.buf.len() - 1;
        if end > start && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        let line = &self.buf[start..end];
        // The line holds no LF: the first break found is a CR or a NUL.
        if let Some(i) = first_line_break_or_nul(line) {
            return Err(ReplyError::ControlByte { byte: line[i] });
        }
        let (code, last) = line_head(line, self.code)?;
        self.code = Some(code);
        // Keep only the text: cut the code and separator, and the line ending.
        let text_from = (start + 4).min(end);
        self.buf.copy_within(text_from..end, start);
        self.buf.truncate(start + (end - text_from));
        if !last {
            self.buf.extend_from_slice(b"\n");
            self.line_start = self.buf.len();
            return Ok(None);
        }
        Ok(Some(self.finish_reply(code)))
    }

    /// The reply whose lines' texts the buffer holds: copied inline when short (the
    /// buffer is then free again at once), otherwise split off, sharing the buffer.
    fn finish_reply(&mut self, code: u16) -> Reply {
        let text = if self.buf.len() <= INLINE_TEXT {
            let text = ReplyText::copy_from(&self.buf);
            self.buf.clear();
            text
        } else {
            ReplyText::Shared(self.buf.split().freeze())
        };
        self.reply_of(code, text)
    }

    /// The finished reply; the parser is ready for the next one.
    fn reply_of(&mut self, code: u16, text: ReplyText) -> Reply {
        self.line_start = 0;
        self.code = None;
        self.reply_len = 0;
        let enhanced = self.enhanced_code(code, &text);
        Reply {
            code,
            enhanced,
            text,
        }
    }
}

/// A line's code and whether it is the reply's last (RFC 5321 §4.2: `code SP` or the
/// code alone ends it, `code -` continues it); every line has the first's code.
#[inline(always)]
fn line_head(line: &[u8], first: Option<u16>) -> Result<(u16, bool), ReplyError> {
    let Some(code) = parse_code(line) else {
        return Err(bad_line(line, true));
    };
    let last = match line.get(3) {
        None | Some(b' ') => true,
        Some(b'-') => false,
        Some(_) => return Err(bad_line(line, false)),
    };
    match first {
        Some(first) if first != code => Err(ReplyError::MixedCodes { first, got: code }),
        _ => Ok((code, last)),
    }
}

/// The error for a line whose code (`code`) or separator is malformed, showing its
/// first 80 bytes escaped. Out of line: it is never on a well-formed reply's path.
#[cold]
#[inline(never)]
fn bad_line(line: &[u8], code: bool) -> ReplyError {
    let line = alloc::format!("{}", Escaped(&line[..line.len().min(80)]));
    if code {
        ReplyError::BadCode { line }
    } else {
        ReplyError::BadSeparator { line }
    }
}

/// What the fast path made of a line.
enum Line {
    /// It was the reply's last; its text is in the buffer.
    Last(u16),
    /// It was the reply's only line, and its text is inline.
    Short(Reply),
    /// More lines follow.
    More,
    /// `input` holds no LF, CR or NUL at all: the buffering path takes all of it
    /// without looking again. (Answering [`Line::Buffer`] instead is equivalent,
    /// only slower.)
    NoBreak,
    /// The buffering path takes it.
    Buffer,
}

/// How much room the parser's buffer gains when it must grow: the short replies of a
/// transaction (Postfix's MAIL, RCPT, DATA and queued replies) fit in one step, and an
/// idle session holds no more than this.
const REPLY_BUFFER_STEP: usize = 128;

/// Three digits, the first 2–5 (RFC 5321 §4.2).
#[inline(always)]
fn parse_code(line: &[u8]) -> Option<u16> {
    let &[a, b, c, ..] = line else {
        return None;
    };
    let (a, b, c) = (
        a.wrapping_sub(b'0'),
        b.wrapping_sub(b'0'),
        c.wrapping_sub(b'0'),
    );
    if !(2..=5).contains(&a) || b > 9 || c > 9 {
        return None;
    }
    Some(u16::from(a) * 100 + u16::from(b) * 10 + u16::from(c))
}

/// One to three decimal digits at the start of `b` (a fourth is refused): the value
/// and how many digits. Read digit by digit, with no loop: it runs for every reply.
#[inline(always)]
fn digits_1_3(b: &[u8]) -> Option<(u16, usize)> {
    let digit = |i: usize| {
        b.get(i)
            .map(|&d| d.wrapping_sub(b'0'))
            .filter(|&d| d <= 9)
            .map(u16::from)
    };
    let first = digit(0)?;
    let Some(second) = digit(1) else {
        return Some((first, 1));
    };
    let Some(third) = digit(2) else {
        return Some((first * 10 + second, 2));
    };
    if digit(3).is_some() {
        return None;
    }
    Some((first * 100 + second * 10 + third, 3))
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

    fn lines(r: &Reply) -> Vec<String> {
        r.lines()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
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
        assert_eq!(lines(&r), vec!["mx.example", "PIPELINING", "SIZE 10"]);
    }

    #[test]
    fn need_more_is_none_never_an_error() {
        let mut p = parser(false);
        let mut a: &[u8] = b"250-a\r\n25";
        assert_eq!(p.parse(&mut a), Ok(None));
        assert!(a.is_empty());
        assert!(!p.is_idle());
        let mut b: &[u8] = b"0 b\r\n";
        assert_eq!(lines(&p.parse(&mut b).unwrap().unwrap()), vec!["a", "b"]);
        assert!(p.is_idle());
    }

    #[test]
    fn code_alone_is_valid_with_empty_text() {
        assert_eq!(lines(&one(b"220\r\n", false).unwrap().unwrap()), vec![""]);
        assert_eq!(
            lines(&one(b"220-\r\n220 x\r\n", false).unwrap().unwrap()),
            vec!["", "x"]
        );
    }

    #[test]
    fn accepts_lf_only_line_endings() {
        assert_eq!(
            lines(&one(b"250-a\n250 b\n", false).unwrap().unwrap()),
            vec!["a", "b"]
        );
        // One-line replies, each taken exactly up to its line end, LF or CRLF.
        let mut p = parser(true);
        let mut input: &[u8] = b"250 2.1.0 ok\n550 5.1.1 no\r\n250 x\n";
        for (code, text) in [(250, "2.1.0 ok"), (550, "5.1.1 no"), (250, "x")] {
            let r = p.parse(&mut input).unwrap().unwrap();
            assert_eq!((r.code, lines(&r)), (code, vec![text.to_string()]));
        }
        assert!(input.is_empty() && p.is_idle());
    }

    #[test]
    fn enhanced_codes_take_one_to_three_digits_each() {
        for (text, want) in [
            ("5.1.1", (5, 1, 1)),
            ("4.7.26", (4, 7, 26)),
            ("2.60.0", (2, 60, 0)),
            ("5.123.456", (5, 123, 456)),
            ("4.999.908", (4, 999, 908)),
        ] {
            let code = EnhancedCode::parse(text).unwrap();
            assert_eq!((code.class, code.subject, code.detail), want, "{text}");
        }
        for bad in ["5.1234.1", "5.1.1234", "5..1", "3.1.1", "5.1.", "5.1"] {
            assert_eq!(EnhancedCode::parse(bad), None, "{bad}");
        }
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
            lines(&one(b"250 a\tb\r\n", false).unwrap().unwrap()),
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
        assert_eq!(lines(&r), vec!["5.1.1 no such user"]);
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
    fn limits_hold_exactly_at_the_boundary() {
        // Each case whole (the fast path) and in pieces of 1 and 3 bytes (the
        // buffering path, which checks the limits itself).
        /// max_line, max_reply, the wire, what the parser must give.
        type Case = (
            usize,
            usize,
            &'static [u8],
            Result<Vec<&'static str>, ReplyError>,
        );
        let cases: [Case; 6] = [
            // "250 abcd\r\n" is exactly 10 bytes: accepted; one more is refused.
            (10, 20, b"250 abcd\r\n", Ok(vec!["abcd"])),
            (
                10,
                20,
                b"250 abcde\r\n",
                Err(ReplyError::LineTooLong { limit: 10 }),
            ),
            // The same for the whole reply's bound, on a one-line reply.
            (20, 10, b"250 abcd\r\n", Ok(vec!["abcd"])),
            (
                20,
                10,
                b"250 abcde\r\n",
                Err(ReplyError::ReplyTooLong { limit: 10 }),
            ),
            // Two lines making exactly 20 bytes: accepted; 21 bytes are refused.
            (
                12,
                20,
                b"250-abcd\r\n250 efgh\r\n",
                Ok(vec!["abcd", "efgh"]),
            ),
            (
                12,
                20,
                b"250-abcd\r\n250 efghi\r\n",
                Err(ReplyError::ReplyTooLong { limit: 20 }),
            ),
        ];
        for (max_line, max_reply, wire, want) in cases {
            for step in [wire.len(), 1, 3] {
                let mut p = ReplyParser::new(ReplyLimits {
                    max_line,
                    max_reply,
                });
                let mut got = Ok(None);
                for piece in wire.chunks(step) {
                    let mut input = piece;
                    got = p.parse(&mut input);
                    if !matches!(got, Ok(None)) {
                        break;
                    }
                }
                let got = got.map(|r| lines(&r.expect("a complete reply")));
                let want = want
                    .clone()
                    .map(|v| v.iter().map(|l| l.to_string()).collect());
                assert_eq!(got, want, "{wire:?} in pieces of {step}");
            }
        }
    }

    #[test]
    fn a_bare_lf_line_end_keeps_the_whole_text_on_both_paths() {
        for wire in [&b"250 ab\n"[..], b"250 ab\r\n", b"250-x\n250 ab\n"] {
            for step in [wire.len(), 1, 2] {
                let mut p = parser(false);
                let mut reply = None;
                for piece in wire.chunks(step) {
                    let mut input = piece;
                    if let Some(r) = p.parse(&mut input).unwrap() {
                        reply = Some(r);
                    }
                }
                let reply = reply.expect("a complete reply");
                assert_eq!(
                    lines(&reply).last().map(String::as_str),
                    Some("ab"),
                    "{wire:?} by {step}"
                );
            }
        }
    }

    #[test]
    fn buffered_counts_what_is_held_and_drops_to_zero_after_a_reply() {
        let mut p = parser(false);
        assert_eq!(p.buffered(), 0);
        let mut a: &[u8] = b"250-first\r\n250 sec";
        assert_eq!(p.parse(&mut a), Ok(None));
        // "first\n" kept as text, "250 sec" as the raw unfinished line.
        assert_eq!(p.buffered(), 6 + 7);
        let mut b: &[u8] = b"ond\r\n";
        assert_eq!(
            lines(&p.parse(&mut b).unwrap().unwrap()),
            vec!["first", "second"]
        );
        assert_eq!(p.buffered(), 0);
        assert!(p.is_idle());
    }

    #[test]
    fn enhanced_code_digits_at_their_limits() {
        let e = |s: &str| EnhancedCode::parse(s);
        assert_eq!(
            e("5.999.999").map(|c| (c.subject, c.detail)),
            Some((999, 999))
        );
        assert_eq!(e("2.0.0").map(|c| c.class), Some(2));
        assert_eq!(e("4.1000.1"), None);
        assert_eq!(e("4.1.1000"), None);
        assert_eq!(e("4..1"), None);
        assert_eq!(e("3.1.1"), None);
        assert_eq!(e("5.1.1.1"), None);
        assert_eq!(e("5.1"), None);
        assert_eq!(e("5.a.1"), None);
        // An enhanced code on a later line does not count (RFC 2034: the first line).
        let r = one(b"250-ok\r\n250 2.0.0 x\r\n", true).unwrap().unwrap();
        assert_eq!(r.enhanced, None);
        let r = one(b"250 2.0.0\r\n", true).unwrap().unwrap();
        assert_eq!(r.enhanced.map(|c| c.to_string()).as_deref(), Some("2.0.0"));
    }

    #[test]
    fn reply_accessors_say_what_the_reply_is() {
        let r = Reply::new(354, &["go ahead", "end with ."]);
        assert!(r.is_intermediate() && !r.is_positive() && !r.is_transient() && !r.is_permanent());
        assert_eq!(r.class(), 3);
        assert_eq!(r.text(), "go ahead\nend with .");
        assert_eq!(r.line_count(), 2);
        assert_eq!(r.first_line(), b"go ahead");
        assert_eq!(r.to_string(), "354 go ahead\\nend with .");
        let t = Reply::new(451, &["later"]);
        assert!(t.is_transient() && !t.is_permanent() && !t.is_positive());
        assert!(!t.is_intermediate());
        let ok = Reply::new(250, &["ok"]);
        assert!(ok.is_positive() && !ok.is_intermediate() && !ok.is_transient());
        let p = Reply::new(550, &["no\r\n\0x"]);
        assert!(p.is_permanent());
        assert_eq!(p.raw_text(), b"no   x", "control bytes become spaces");
        let mut wire = Vec::new();
        Reply::new(220, &[""]).encode(&mut wire);
        assert_eq!(wire, b"220\r\n");
        let long = Reply::new(550, &["x".repeat(300).as_str()]);
        let cut = long.truncated(128);
        assert_eq!(cut.raw_text().len(), 128 + b" [truncated]".len());
        assert!(cut.raw_text().ends_with(b" [truncated]"));
        assert_eq!(
            Reply::new(250, &["short"]).truncated(128).raw_text(),
            b"short"
        );
        assert!(format!("{long:?}").contains("code: 550"));
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
        (200u16..600, proptest::collection::vec("[ -~]{0,40}", 1..5)).prop_map(|(code, lines)| {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            Reply::new(code, &lines)
        })
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
                // Held bytes never exceed what the reply sent, whatever its encoding.
                prop_assert!(p.buffered() <= limits.max_reply);
            }
        }
    }
}
