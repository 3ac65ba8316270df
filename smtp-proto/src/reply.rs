//! SMTP replies — RFC 5321 §4.2 (reply syntax and codes), §4.5.3.1.5 (reply line
//! length), RFC 3463 and RFC 2034 (enhanced status codes).
//!
//! SKELETON: signatures are the contract other modules code against. Implement the
//! bodies; do not change public signatures without telling the team.

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
        let _ = s;
        todo!()
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
        let _ = out;
        todo!()
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
#[derive(Debug)]
pub struct ReplyParser {
    _private: (),
}

impl ReplyParser {
    /// A parser with the given bounds; enhanced codes off.
    #[must_use]
    pub fn new(limits: ReplyLimits) -> ReplyParser {
        let _ = limits;
        todo!()
    }
    /// Whether to parse enhanced status codes (set after EHLO advertised
    /// ENHANCEDSTATUSCODES, RFC 2034 §3).
    pub fn set_enhanced_codes(&mut self, on: bool) {
        let _ = on;
        todo!()
    }
    /// Consumes bytes from the front of `input` up to the end of the first complete
    /// reply and returns it; or consumes all of `input` and returns `Ok(None)` when no
    /// reply completed yet. After an error the parser stays failed (every later call
    /// returns the same error) and the bytes consumed are unspecified.
    pub fn parse(&mut self, input: &mut &[u8]) -> Result<Option<Reply>, ReplyError> {
        let _ = input;
        todo!()
    }
    /// True when no bytes of an unfinished reply are held.
    pub fn is_idle(&self) -> bool {
        todo!()
    }
    /// Bytes held for the unfinished reply (bounded by the limits).
    pub fn buffered(&self) -> usize {
        todo!()
    }
}
