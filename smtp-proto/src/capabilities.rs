//! EHLO/LHLO capabilities — RFC 5321 §4.1.1.1 (ehlo-line syntax), RFC 1870 (SIZE),
//! RFC 2920 (PIPELINING), RFC 3207 (STARTTLS), RFC 2034 (ENHANCEDSTATUSCODES),
//! RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 8689 (REQUIRETLS), RFC 3030
//! (CHUNKING, BINARYMIME), RFC 3461 (DSN), RFC 4954 (AUTH), RFC 9422 (LIMITS),
//! RFC 6710 (MT-PRIORITY), RFC 2852 (DELIVERBY), RFC 4865 (FUTURERELEASE).
//!
//! Keywords are case-insensitive; unknown ones are kept with their parameters so a
//! caller can use extensions this crate does not know.

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;

use crate::reply::Reply;
use crate::swar::{equal_marks, tail_word, word_of, HIGH};

/// Most `name=value` pairs accepted in one LIMITS keyword (RFC 9422 defines three).
pub const MAX_LIMITS_PARAMS: usize = 16;

/// The server's LIMITS (RFC 9422), parsed with mox's rules: a syntax error drops the
/// whole keyword (`parse` returns `None`), a bad value drops that value only, a
/// duplicate name is a syntax error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Every `name=value` pair, names upper-cased, in the order given.
    pub params: Vec<(String, String)>,
    /// MAILMAX: transactions per session, when valid (1–999999).
    pub mailmax: Option<u32>,
    /// RCPTMAX: recipients per transaction, when valid.
    pub rcptmax: Option<u32>,
    /// RCPTDOMAINMAX: distinct recipient domains per transaction, when valid.
    pub rcptdomainmax: Option<u32>,
}

impl Limits {
    /// Parses the text after the `LIMITS` keyword (leading spaces allowed), e.g.
    /// `" RCPTMAX=100 MAILMAX=1000"`. `None` when the whole keyword must be ignored.
    pub fn parse(text: &str) -> Option<Limits> {
        let mut limits = Limits::default();
        // RFC 9422 §4: `LIMITS` SP limit *(SP limit); tolerate the leading space(s).
        let text = text.trim_start_matches(' ');
        if text.is_empty() {
            return Some(limits);
        }
        for pair in text.split(' ') {
            if limits.params.len() == MAX_LIMITS_PARAMS {
                return None; // Far more than RFC 9422 defines: treat as a syntax error.
            }
            let (name, value) = pair.split_once('=')?;
            let name_ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            let value_ok = !value.is_empty()
                && value
                    .bytes()
                    .all(|b| (0x21..0x7f).contains(&b) && b != b';');
            if !name_ok || !value_ok {
                return None; // RFC 9422 §4: a syntax error drops the whole keyword.
            }
            let key = name.to_ascii_uppercase();
            if limits.params.iter().any(|(k, _)| *k == key) {
                return None; // Not specified; duplicates are an error, as mox has it.
            }
            // RFC 9422 §4: a bad value drops that value only. mox matches the names
            // case-sensitively; they are case-insensitive keywords, so we don't.
            let number = limit_value(value);
            match key.as_str() {
                "MAILMAX" => limits.mailmax = number,
                "RCPTMAX" => limits.rcptmax = number,
                "RCPTDOMAINMAX" => limits.rcptdomainmax = number,
                _ => {}
            }
            limits.params.push((key, String::from(value)));
        }
        Some(limits)
    }
}

/// Most distinct AUTH mechanisms kept from one EHLO reply; later ones are ignored.
/// Real servers offer a handful; the cap keeps de-duplication linear in the reply
/// (rule 20: a hostile list of 16,000 mechanisms costs one pass).
pub const MAX_AUTH_MECHANISMS: usize = 64;
/// Most unknown keywords kept from one EHLO reply; later ones are ignored.
pub const MAX_OTHER_KEYWORDS: usize = 128;

/// A byte range in the capabilities' text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// The span of `part`, which must be a sub-slice of `base` (its offset is a
    /// pointer difference); anything else becomes an empty span.
    fn of(base: &[u8], part: &[u8]) -> Span {
        let Some(start) = (part.as_ptr() as usize).checked_sub(base.as_ptr() as usize) else {
            return Span::default();
        };
        if start + part.len() > base.len() {
            return Span::default();
        }
        Span {
            start: start as u32,
            end: (start + part.len()) as u32,
        }
    }
}

/// An AUTH mechanism or an unknown keyword: both kinds share one vector, so the
/// capabilities of a typical EHLO cost one allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// An AUTH mechanism (its name; no parameters) rather than an unknown keyword.
    auth: bool,
    name: Span,
    params: Span,
}

/// What a server supports, from its EHLO or LHLO reply.
///
/// Kept compactly (rule 20): the reply's own text buffer (shared, not copied) and
/// spans into it for the names and parameters; keywords are matched without making
/// upper-case copies. Flags and numbers are plain fields; texts are methods.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    text: Bytes,
    domain: Span,
    /// STARTTLS (RFC 3207)
    pub starttls: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034)
    pub enhanced_status_codes: bool,
    /// 8BITMIME (RFC 6152)
    pub eight_bit_mime: bool,
    /// PIPELINING (RFC 2920)
    pub pipelining: bool,
    /// SMTPUTF8 (RFC 6531)
    pub smtputf8: bool,
    /// REQUIRETLS (RFC 8689)
    pub requiretls: bool,
    /// CHUNKING (RFC 3030)
    pub chunking: bool,
    /// BINARYMIME (RFC 3030)
    pub binarymime: bool,
    /// DSN (RFC 3461)
    pub dsn: bool,
    /// SIZE was advertised (RFC 1870), with or without a usable number.
    pub size_advertised: bool,
    /// The SIZE limit when one is known: absent, 0, garbage or overflow = `None`.
    pub max_size: Option<u64>,
    /// AUTH mechanisms (de-duplicated in any case, in order; the old `AUTH=` form
    /// too) and unknown keywords with their parameter text, in order.
    entries: Vec<Entry>,
    /// How many of `entries` are AUTH mechanisms.
    auth_count: usize,
    /// LIMITS (RFC 9422), when present and valid.
    pub limits: Option<Limits>,
    /// MT-PRIORITY (RFC 6710) was advertised.
    pub mt_priority: bool,
    mt_priority_profile: Option<Span>,
    /// DELIVERBY (RFC 2852) was advertised.
    pub deliverby: bool,
    /// DELIVERBY's minimum by-time in seconds, when given.
    pub deliverby_min: Option<u64>,
    /// FUTURERELEASE (RFC 4865) was advertised.
    pub futurerelease: bool,
    /// FUTURERELEASE's max-future-release-interval in seconds, when valid.
    pub futurerelease_max_interval: Option<u64>,
    futurerelease_max_datetime: Option<Span>,
}

/// Why an EHLO reply cannot be read as capabilities. The server's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapabilityError {
    /// The reply is not a 250.
    #[error("EHLO reply code {0} is not 250")]
    NotOk(u16),
}

impl Capabilities {
    /// Reads an EHLO/LHLO 250 reply. Keywords are case-insensitive; an empty line
    /// (smtp-sink's last `250 `) is skipped, and so is a line that is not UTF-8;
    /// unknown keywords are kept (up to [`MAX_OTHER_KEYWORDS`]).
    pub fn parse(reply: &Reply) -> Result<Capabilities, CapabilityError> {
        if reply.code != 250 {
            return Err(CapabilityError::NotOk(reply.code));
        }
        // Spans are offsets, so they are taken in the reply's text and hold in the
        // shared copy too (same bytes); the first line is the greeting, not a keyword.
        let text = reply.raw_text();
        let (domain, first_end) = first_line(text);
        let mut caps = Capabilities::with_domain(reply.shared_text(), domain);
        // (Starting a line at the `\n` before it, or once more at the end, only reads
        // an empty line: such mutants here and in `read_line`'s returns are
        // equivalent.)
        let mut start = first_end + 1;
        while start < text.len() {
            start = caps.read_line(text, start);
        }
        Ok(caps)
    }

    /// What a HELO reply tells: the server's name and no extension at all.
    pub fn from_helo(reply: &Reply) -> Capabilities {
        let (domain, _) = first_line(reply.raw_text());
        Capabilities::with_domain(reply.shared_text(), domain)
    }

    /// No extension yet: the reply's `text` and the server's name in it.
    fn with_domain(text: Bytes, domain: Span) -> Capabilities {
        Capabilities {
            text,
            domain,
            ..Capabilities::default()
        }
    }

    /// Reads the keyword line of `text` that starts at `start`, in one pass (keyword
    /// end, then line end), and returns where the next line starts.
    fn read_line(&mut self, text: &[u8], start: usize) -> usize {
        // The line is trimmed of ASCII whitespace, then cut at its first SP or `=`
        // (RFC 5321 §4.1.1.1 ehlo-line; `=` for the old `AUTH=` form).
        let from = skip_blanks(text, start);
        // A known keyword is recognised where it starts (its bytes are ASCII); alone
        // on its line (the common case) it is all there is to read.
        let at = Keyword::at(text, from);
        if let Some((keyword, cut)) = at {
            if text.get(cut).is_none_or(|&b| b == b'\n') {
                self.record(keyword, text, &text[cut..cut]);
                return cut + 1;
            }
        }
        let known = at.map(|(keyword, _)| keyword);
        let (cut, seen) = match at {
            Some((_, cut)) => (cut, 0),
            None => find(text, from, |w| {
                equal_marks(w, b' ') | equal_marks(w, b'=') | equal_marks(w, b'\n')
            }),
        };
        let (end, seen) = match text.get(cut) {
            Some(b' ' | b'=') => {
                let (end, more) = find(text, cut + 1, |w| equal_marks(w, b'\n'));
                (end, seen | more)
            }
            _ => (cut, seen),
        };
        // Bytes throughout: keywords are ASCII, and only a line that is not UTF-8
        // needs the full check (it is skipped). `seen` holds every byte of the line
        // that is not a known keyword's. (Checking more lines than needed, as `|` or
        // `^` for `&` would, is only slower: equivalent. The parameters' scan may
        // start at the cut byte itself, which is no LF: equivalent too.)
        if seen & HIGH != 0 && core::str::from_utf8(&text[start..end]).is_err() {
            return end + 1;
        }
        let keyword = &text[from..cut];
        // What follows the cut, trimmed; it ends where the trimmed line does.
        let params = match text.get(cut + 1..end) {
            Some(rest) => rest.trim_ascii_end().trim_ascii_start(),
            None => &[],
        };
        if cut == end || (params.is_empty() && text[cut] == b' ') {
            // No cut inside the trimmed line (a space there was trailing whitespace):
            // the keyword is the whole line, and its empty parameters are its end.
            let keyword = keyword.trim_ascii_end();
            if !keyword.is_empty() {
                self.add(known, text, keyword, &keyword[keyword.len()..]);
            } // An empty one: Postfix smtp-sink ends with an empty `250 `.
        } else {
            self.add(known, text, keyword, params);
        }
        end + 1
    }

    /// The text of `span` (empty when it is not UTF-8).
    fn span(&self, span: Span) -> &str {
        core::str::from_utf8(&self.text[span.start as usize..span.end as usize]).unwrap_or("")
    }

    /// The server's name: the first word of the first line (never a capability).
    pub fn domain(&self) -> &str {
        self.span(self.domain)
    }

    /// The AUTH mechanisms, as the server wrote them, de-duplicated ignoring case, at
    /// most [`MAX_AUTH_MECHANISMS`].
    pub fn auth_mechanisms(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries
            .iter()
            .filter(|e| e.auth)
            .map(|e| self.span(e.name))
    }

    /// The MT-PRIORITY profile name, if one was given (e.g. `MIXER`).
    pub fn mt_priority_profile(&self) -> Option<&str> {
        self.mt_priority_profile.map(|s| self.span(s))
    }

    /// FUTURERELEASE's max-future-release-date-time, as given.
    pub fn futurerelease_max_datetime(&self) -> Option<&str> {
        self.futurerelease_max_datetime.map(|s| self.span(s))
    }

    /// Every keyword this crate does not know, as written, with its parameter text.
    pub fn other(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.entries
            .iter()
            .filter(|e| !e.auth)
            .map(|e| (self.span(e.name), self.span(e.params)))
    }

    /// Records one keyword and its parameter text (both sub-slices of `text`, UTF-8);
    /// `known` is the keyword when already recognised.
    fn add(&mut self, known: Option<Keyword>, text: &[u8], keyword: &[u8], params: &[u8]) {
        match known.or_else(|| Keyword::of(keyword)) {
            Some(known) => self.record(known, text, params),
            None if self.entries.len() - self.auth_count < MAX_OTHER_KEYWORDS => {
                self.push(Entry {
                    auth: false,
                    name: Span::of(text, keyword),
                    params: Span::of(text, params),
                });
            }
            None => {}
        }
    }

    /// Records the known keyword `known` and its parameter text (a sub-slice of
    /// `text`, UTF-8). Inlined, so a flag costs a store; keywords with parameters go
    /// on to [`Capabilities::record_with_params`].
    #[inline]
    fn record(&mut self, known: Keyword, text: &[u8], params: &[u8]) {
        match known {
            Keyword::StartTls => self.starttls = true,
            Keyword::EnhancedStatusCodes => self.enhanced_status_codes = true,
            Keyword::EightBitMime => self.eight_bit_mime = true,
            Keyword::Pipelining => self.pipelining = true,
            Keyword::SmtpUtf8 => self.smtputf8 = true, // RFC 6531 §3.3: parameters ignored
            Keyword::RequireTls => self.requiretls = true,
            Keyword::Chunking => self.chunking = true,
            Keyword::BinaryMime => self.binarymime = true,
            Keyword::Dsn => self.dsn = true,
            _ => self.record_with_params(known, text, params),
        }
    }

    /// Records a known keyword whose parameters matter (SIZE, AUTH, LIMITS,
    /// MT-PRIORITY, DELIVERBY, FUTURERELEASE); `params` is a trimmed sub-slice of
    /// `text`, so its first word starts it (what [`decimal`] reads). Kept out of line:
    /// the flags' loop stays small.
    #[inline(never)]
    fn record_with_params(&mut self, known: Keyword, text: &[u8], params: &[u8]) {
        match known {
            Keyword::Size => {
                // RFC 1870 §4 / rule 12: no number, 0 or garbage = no known limit.
                self.size_advertised = true;
                self.max_size = decimal(params).filter(|&n| n > 0);
            }
            Keyword::Auth => {
                // RFC 4954 §3, plus the pre-standard `AUTH=` form some servers still send.
                self.add_mechanisms(text, params);
            }
            Keyword::Limits => {
                self.limits = core::str::from_utf8(params).ok().and_then(Limits::parse);
            }
            Keyword::MtPriority => {
                self.mt_priority = true;
                self.mt_priority_profile = words(params).next().map(|p| Span::of(text, p));
            }
            Keyword::DeliverBy => {
                self.deliverby = true;
                self.deliverby_min = decimal(params);
            }
            Keyword::FutureRelease => {
                // RFC 4865 §3: max-future-release-interval SP max-future-release-date-time
                let mut words = words(params).skip(1);
                self.futurerelease = true;
                self.futurerelease_max_interval = decimal(params);
                self.futurerelease_max_datetime = words.next().map(|p| Span::of(text, p));
            }
            _ => {} // The flags, which `record` sets without reading parameters.
        }
    }

    /// Adds the space-separated mechanisms of `params` (a sub-slice of `text`): the
    /// words as [`words`] splits them, each end found eight bytes at a time.
    fn add_mechanisms(&mut self, text: &[u8], params: &[u8]) {
        let mut rest = params;
        while !rest.is_empty() {
            let len = find(rest, 0, |w| equal_marks(w, b' ')).0;
            if len > 0 {
                self.add_mechanism(text, &rest[..len]);
            }
            rest = rest.get(len + 1..).unwrap_or_default();
        }
    }

    /// Keeps `mech` unless it is a duplicate or the list is full: one comparison per
    /// kept mechanism, so a hostile list costs linear time. Compares the bytes in
    /// `text` (the lines are UTF-8 already).
    fn add_mechanism(&mut self, text: &[u8], mech: &[u8]) {
        if self.auth_count >= MAX_AUTH_MECHANISMS
            || self.entries.iter().any(|e| {
                // Lengths first: most mechanisms differ there, without a slice (the
                // comparison checks them too, so this is speed only).
                e.auth
                    && (e.name.end - e.name.start) as usize == mech.len()
                    && text[e.name.start as usize..e.name.end as usize].eq_ignore_ascii_case(mech)
            })
        {
            return;
        }
        self.auth_count += 1;
        self.push(Entry {
            auth: true,
            name: Span::of(text, mech),
            params: Span::default(),
        });
    }

    /// Appends to `entries`. The first entry allocates room for four, what `Vec`'s
    /// growth would give, but directly: a typical EHLO's one allocation (speed only:
    /// `push` alone allocates the same).
    fn push(&mut self, entry: Entry) {
        if self.entries.capacity() == 0 {
            self.entries = Vec::with_capacity(4);
        }
        self.entries.push(entry);
    }

    /// True when `mechanism` (any case) is among the AUTH mechanisms.
    pub fn supports_auth(&self, mechanism: &str) -> bool {
        self.auth_mechanisms()
            .any(|m| m.eq_ignore_ascii_case(mechanism))
    }

    /// Whether the keyword (any case) was advertised, known or not.
    pub fn has(&self, keyword: &str) -> bool {
        let known: [(&str, bool); 15] = [
            ("STARTTLS", self.starttls),
            ("ENHANCEDSTATUSCODES", self.enhanced_status_codes),
            ("8BITMIME", self.eight_bit_mime),
            ("PIPELINING", self.pipelining),
            ("SMTPUTF8", self.smtputf8),
            ("REQUIRETLS", self.requiretls),
            ("CHUNKING", self.chunking),
            ("BINARYMIME", self.binarymime),
            ("DSN", self.dsn),
            ("SIZE", self.size_advertised),
            ("AUTH", self.auth_count > 0),
            ("LIMITS", self.limits.is_some()),
            ("MT-PRIORITY", self.mt_priority),
            ("DELIVERBY", self.deliverby),
            ("FUTURERELEASE", self.futurerelease),
        ];
        if let Some(&(_, on)) = known.iter().find(|(k, _)| k.eq_ignore_ascii_case(keyword)) {
            return on;
        }
        self.other().any(|(k, _)| k.eq_ignore_ascii_case(keyword))
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth: Vec<&str> = self.auth_mechanisms().collect();
        let other: Vec<(&str, &str)> = self.other().collect();
        f.debug_struct("Capabilities")
            .field("domain", &self.domain())
            .field("starttls", &self.starttls)
            .field("pipelining", &self.pipelining)
            .field("chunking", &self.chunking)
            .field("eight_bit_mime", &self.eight_bit_mime)
            .field("smtputf8", &self.smtputf8)
            .field("enhanced_status_codes", &self.enhanced_status_codes)
            .field("max_size", &self.max_size)
            .field("auth", &auth)
            .field("limits", &self.limits)
            .field("other", &other)
            .finish_non_exhaustive()
    }
}

/// The first word of `params` (trimmed, so the word starts it and ends at its first
/// space) as a decimal number, the way `str::parse::<u64>` reads one: an optional
/// `+`, then digits; `None` on overflow. Without a UTF-8 check first, and in one
/// pass unless the word is longer than 19 digits (which alone can overflow).
fn decimal(params: &[u8]) -> Option<u64> {
    let digits = params.strip_prefix(b"+").unwrap_or(params);
    let (mut n, mut len) = (0u64, 0);
    for &b in digits.iter().take_while(|&&b| b != b' ') {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
        len += 1;
    }
    // Up to 19 digits cannot overflow; longer numbers are read again with checks
    // (taking every length that way is only slower: an equivalent mutant).
    match len {
        0 => None,
        1..=19 => Some(n),
        _ => digits[..len].iter().try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        }),
    }
}

/// The space-separated words of a parameter text (runs of spaces are one separator).
fn words(params: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    params.split(|&b| b == b' ').filter(|p| !p.is_empty())
}

/// Where the line from `start` (before the text's end) starts once trimmed: past
/// its leading blanks, which are rare, so one byte tells most of the time (counting
/// always is an equivalent mutant, only slower).
fn skip_blanks(text: &[u8], start: usize) -> usize {
    let rest = &text[start..];
    match rest.first() {
        Some(&b) if b > b' ' => start,
        _ => start + rest.iter().take_while(|&&b| is_blank(b)).count(),
    }
}

/// ASCII whitespace a line is trimmed of, its `\n` end apart (`u8::is_ascii_whitespace`).
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\x0c' | b'\r')
}

/// The server's name (the first word, when UTF-8) and the first line's end in `text`.
/// RFC 5321 §4.1.1.1: the first line is the server's domain and a greeting.
fn first_line(text: &[u8]) -> (Span, usize) {
    // (Checking the name's UTF-8 when not needed, as `|` or `^` for `&` below would,
    // and looking for the line end from the space itself, are equivalent mutants.)
    let (word_end, seen) = find(text, 0, |w| equal_marks(w, b' ') | equal_marks(w, b'\n'));
    let domain = if seen & HIGH == 0 || core::str::from_utf8(&text[..word_end]).is_ok() {
        Span::of(text, &text[..word_end])
    } else {
        Span::default()
    };
    let end = match text.get(word_end) {
        Some(b' ') => find(text, word_end + 1, |w| equal_marks(w, b'\n')).0,
        _ => word_end,
    };
    (domain, end)
}

/// The first byte at or after `from` that `marks` (built of [`equal_marks`], so never
/// a zero past the end) flags, eight bytes at a time: its index (`text.len()` when
/// none) and the OR of the words read, whose high bits are clear when every byte from
/// `from` to that index is ASCII (bytes read past it may set them too).
#[inline(always)]
fn find(text: &[u8], from: usize, marks: impl Fn(u64) -> u64) -> (usize, u64) {
    let rest = text.get(from..).unwrap_or_default();
    let mut chunks = rest.chunks_exact(8);
    let mut seen = 0;
    let mut at = from;
    for chunk in chunks.by_ref() {
        let w = word_of(chunk);
        seen |= w;
        let m = marks(w);
        if m != 0 {
            return (at + (m.trailing_zeros() / 8) as usize, seen);
        }
        at += 8;
    }
    let n = chunks.remainder().len();
    if n == 0 {
        return (text.len(), seen);
    }
    let w = tail_word(text, n);
    // No mark in the tail gives 8: past the end, which the `min` brings back.
    let m = marks(w);
    let found = at + (m.trailing_zeros() / 8) as usize;
    (found.min(text.len()), seen | w)
}

/// The keywords this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keyword {
    StartTls,
    EnhancedStatusCodes,
    EightBitMime,
    Pipelining,
    SmtpUtf8,
    RequireTls,
    Chunking,
    BinaryMime,
    Dsn,
    Size,
    Auth,
    Limits,
    MtPriority,
    DeliverBy,
    FutureRelease,
}

/// A keyword's name, upper case, as up to three words (at the offsets of
/// [`word_offsets`]) to compare eight bytes at a time: `fold` has bit 5 of every letter
/// set, `lower` is the name with those bits set, so `word | fold == lower` holds for
/// exactly the name's letters in either case and its other bytes as they are.
struct Pattern {
    lower: [u64; 3],
    fold: [u64; 3],
    /// The name's length.
    len: usize,
    keyword: Keyword,
}

impl Pattern {
    /// The pattern of `name` (upper case, at most 24 bytes).
    const fn new(name: &[u8], keyword: Keyword) -> Pattern {
        let (offsets, count) = word_offsets(name.len());
        let (mut lower, mut fold) = ([0; 3], [0; 3]);
        let mut w = 0;
        while w < count {
            let mut j = 0;
            while j < 8 && offsets[w] + j < name.len() {
                let b = name[offsets[w] + j];
                let bit = if b.is_ascii_alphabetic() { 0x20 } else { 0 };
                lower[w] |= ((b | bit) as u64) << (8 * j);
                fold[w] |= (bit as u64) << (8 * j);
                j += 1;
            }
            w += 1;
        }
        Pattern {
            lower,
            fold,
            len: name.len(),
            keyword,
        }
    }

    /// Whether `words` (a keyword of the pattern's length, by [`name_words`]) is it.
    #[inline(always)]
    fn matches(&self, words: [u64; 3]) -> bool {
        (words[0] | self.fold[0]) == self.lower[0]
            && (words[1] | self.fold[1]) == self.lower[1]
            && (words[2] | self.fold[2]) == self.lower[2]
    }
}

/// Where the words of a name of `len` bytes start, and how many there are: one
/// (zero-padded) up to 8 bytes; else every eighth byte, the last one overlapping so
/// it ends with the name. Names of up to 24 bytes.
const fn word_offsets(len: usize) -> ([usize; 3], usize) {
    assert!(len <= 24, "a keyword pattern of more than 24 bytes");
    match len {
        0..=8 => ([0, 0, 0], 1),
        9..=16 => ([0, len - 8, 0], 2),
        _ => ([0, 8, len - 8], 3),
    }
}

/// `name`'s bytes as words at the offsets of [`word_offsets`] (zero where none):
/// what [`Pattern::matches`] compares.
#[inline(always)]
fn name_words(name: &[u8]) -> [u64; 3] {
    let at = |i: usize| {
        name[i..]
            .first_chunk::<8>()
            .map_or(0, |b| u64::from_le_bytes(*b))
    };
    match name.len() {
        0..=8 => [word_of(name), 0, 0],
        len @ 9..=16 => [at(0), at(len - 8), 0],
        len => [at(0), at(8), at(len - 8)],
    }
}

// The known keywords' patterns.
const DSN: Pattern = Pattern::new(b"DSN", Keyword::Dsn);
const SIZE: Pattern = Pattern::new(b"SIZE", Keyword::Size);
const AUTH: Pattern = Pattern::new(b"AUTH", Keyword::Auth);
const LIMITS: Pattern = Pattern::new(b"LIMITS", Keyword::Limits);
const STARTTLS: Pattern = Pattern::new(b"STARTTLS", Keyword::StartTls);
const EIGHTBITMIME: Pattern = Pattern::new(b"8BITMIME", Keyword::EightBitMime);
const SMTPUTF8: Pattern = Pattern::new(b"SMTPUTF8", Keyword::SmtpUtf8);
const CHUNKING: Pattern = Pattern::new(b"CHUNKING", Keyword::Chunking);
const DELIVERBY: Pattern = Pattern::new(b"DELIVERBY", Keyword::DeliverBy);
const PIPELINING: Pattern = Pattern::new(b"PIPELINING", Keyword::Pipelining);
const REQUIRETLS: Pattern = Pattern::new(b"REQUIRETLS", Keyword::RequireTls);
const BINARYMIME: Pattern = Pattern::new(b"BINARYMIME", Keyword::BinaryMime);
const MT_PRIORITY: Pattern = Pattern::new(b"MT-PRIORITY", Keyword::MtPriority);
const FUTURERELEASE: Pattern = Pattern::new(b"FUTURERELEASE", Keyword::FutureRelease);
const ENHANCED: Pattern = Pattern::new(b"ENHANCEDSTATUSCODES", Keyword::EnhancedStatusCodes);

impl Keyword {
    /// The known keyword `name` is, in any case: by its length first, then one
    /// comparison of (at most three) words per keyword of that length.
    fn of(name: &[u8]) -> Option<Keyword> {
        match name.len() {
            3 => pick(name, &[DSN]),
            4 => pick(name, &[SIZE, AUTH]),
            6 => pick(name, &[LIMITS]),
            8 => pick(name, &[STARTTLS, EIGHTBITMIME, SMTPUTF8, CHUNKING]),
            9 => pick(name, &[DELIVERBY]),
            10 => pick(name, &[PIPELINING, REQUIRETLS, BINARYMIME]),
            11 => pick(name, &[MT_PRIORITY]),
            13 => pick(name, &[FUTURERELEASE]),
            19 => pick(name, &[ENHANCED]),
            _ => None,
        }
    }

    /// The known keyword that `text` holds from `from`, in any case, and where it
    /// ends, when a SP, `=`, `\n` or the text's end follows it: where [`find`] would
    /// cut the line, found without a scan. By the first byte (bit 5 ignored, the
    /// comparison is exact), then one comparison per keyword with that first byte.
    ///
    /// (Answering `None`, for one first byte or all, is an equivalent mutant: the
    /// line scan and [`Keyword::of`] then find the same keyword, only slower. So is an
    /// end computed wrongly, which can only fail to match.)
    fn at(text: &[u8], from: usize) -> Option<(Keyword, usize)> {
        match text.get(from)? | 0x20 {
            b's' => prefix(text, from, &[STARTTLS, SMTPUTF8, SIZE]),
            b'e' => prefix(text, from, &[ENHANCED]),
            b'8' => prefix(text, from, &[EIGHTBITMIME]),
            b'p' => prefix(text, from, &[PIPELINING]),
            b'r' => prefix(text, from, &[REQUIRETLS]),
            b'c' => prefix(text, from, &[CHUNKING]),
            b'b' => prefix(text, from, &[BINARYMIME]),
            b'd' => prefix(text, from, &[DSN, DELIVERBY]),
            b'a' => prefix(text, from, &[AUTH]),
            b'l' => prefix(text, from, &[LIMITS]),
            b'm' => prefix(text, from, &[MT_PRIORITY]),
            b'f' => prefix(text, from, &[FUTURERELEASE]),
            _ => None,
        }
    }
}

/// The keyword among `candidates` (patterns of `name`'s length) that `name` is.
#[inline(always)]
fn pick(name: &[u8], candidates: &[Pattern]) -> Option<Keyword> {
    let words = name_words(name);
    candidates
        .iter()
        .find(|p| p.matches(words))
        .map(|p| p.keyword)
}

/// The keyword among `candidates` that `text` holds from `from`, followed by a
/// delimiter (SP, `=`, `\n`) or the end, and where it ends.
#[inline(always)]
fn prefix(text: &[u8], from: usize, candidates: &[Pattern]) -> Option<(Keyword, usize)> {
    candidates.iter().find_map(|p| {
        let end = from + p.len;
        let name = text.get(from..end)?;
        let delimited = matches!(text.get(end), None | Some(b' ' | b'=' | b'\n'));
        (delimited && p.matches(name_words(name))).then_some((p.keyword, end))
    })
}

/// RFC 9422 §4: a limit value is 1–6 digits and more than zero (mox's rule).
fn limit_value(value: &str) -> Option<u32> {
    if value.len() > 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;
    use proptest::prelude::*;

    fn caps(lines: &[&str]) -> Capabilities {
        Capabilities::parse(&Reply::new(250, lines)).unwrap()
    }

    #[test]
    fn reads_postfix_smtpd() {
        let c = caps(&[
            "mx.example.net",
            "PIPELINING",
            "SIZE 10240000",
            "VRFY",
            "ETRN",
            "STARTTLS",
            "AUTH PLAIN LOGIN",
            "ENHANCEDSTATUSCODES",
            "8BITMIME",
            "DSN",
            "SMTPUTF8",
            "CHUNKING",
        ]);
        assert_eq!(c.domain(), "mx.example.net");
        assert!(
            c.pipelining
                && c.starttls
                && c.enhanced_status_codes
                && c.eight_bit_mime
                && c.dsn
                && c.smtputf8
                && c.chunking
        );
        assert_eq!(c.max_size, Some(10_240_000));
        assert_eq!(
            c.auth_mechanisms().collect::<Vec<_>>(),
            vec!["PLAIN", "LOGIN"]
        );
        assert!(c.has("vrfy") && c.has("ETRN") && !c.has("BINARYMIME"));
    }

    #[test]
    fn a_line_that_is_not_utf8_is_skipped_and_one_that_is_kept() {
        let mut wire = b"250-mx\r\n250-X-GR\xc3\x9cSS hall\xc3\xb6\r\n250-X-BAD \xff\r\n".to_vec();
        wire.extend_from_slice(b"250 PIPELINING\r\n");
        let mut p = crate::reply::ReplyParser::new(crate::reply::ReplyLimits::default());
        let reply = p.parse(&mut &wire[..]).unwrap().unwrap();
        let c = Capabilities::parse(&reply).unwrap();
        assert_eq!(
            c.other().collect::<Vec<_>>(),
            [("X-GR\u{dc}SS", "hall\u{f6}")]
        );
        assert!(c.pipelining && !c.has("X-BAD"));
    }

    #[test]
    fn unknown_keywords_are_capped_apart_from_auth_mechanisms() {
        let mechanisms: Vec<String> = (0..MAX_AUTH_MECHANISMS).map(|i| format!("M{i}")).collect();
        let auth = format!("AUTH {}", mechanisms.join(" "));
        let unknown: Vec<String> = (0..MAX_OTHER_KEYWORDS + 5)
            .map(|i| format!("X-K{i}"))
            .collect();
        let mut lines = vec!["mx".to_string(), auth];
        lines.extend(unknown);
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let c = caps(&lines);
        assert_eq!(c.auth_mechanisms().count(), MAX_AUTH_MECHANISMS);
        assert_eq!(c.other().count(), MAX_OTHER_KEYWORDS);
        assert!(c.has("AUTH") && c.has("x-k0") && !c.has("X-K200"));
    }

    #[test]
    fn reads_smtp_sink_with_its_empty_last_line() {
        let c = caps(&[
            "sink",
            "PIPELINING",
            "8BITMIME",
            "AUTH PLAIN LOGIN",
            "XCLIENT NAME ADDR",
            "XFORWARD NAME",
            "ENHANCEDSTATUSCODES",
            "DSN",
            "",
        ]);
        assert!(c.pipelining && c.dsn && !c.size_advertised);
        assert_eq!(
            c.other().collect::<Vec<_>>(),
            vec![("XCLIENT", "NAME ADDR"), ("XFORWARD", "NAME")]
        );
    }

    #[test]
    fn first_line_is_never_a_capability() {
        let c = caps(&["PIPELINING", "8bitmime"]);
        assert!(!c.pipelining && c.eight_bit_mime);
        assert_eq!(c.domain(), "PIPELINING");
    }

    #[test]
    fn size_without_usable_number_means_no_limit() {
        for v in [
            "SIZE",
            "SIZE 0",
            "SIZE lots",
            "SIZE 99999999999999999999999",
            "SIZE 99999999999999999999",
            "SIZE 18446744073709551616",
        ] {
            let c = caps(&["mx", v]);
            assert!(c.size_advertised, "{v}");
            assert_eq!(c.max_size, None, "{v}");
        }
        // 20 digits can still fit; 19 always do (the one-pass case).
        let size = |v: &str| caps(&["mx", v]).max_size;
        assert_eq!(size("SIZE 18446744073709551615"), Some(u64::MAX));
        assert_eq!(
            size("SIZE 9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(size("SIZE +00000000000000000000042 x"), Some(42));
    }

    #[test]
    fn auth_merges_old_form_and_dedups() {
        let c = caps(&["mx", "AUTH=LOGIN PLAIN", "auth plain cram-md5"]);
        assert_eq!(
            c.auth_mechanisms().collect::<Vec<_>>(),
            vec!["LOGIN", "PLAIN", "cram-md5"]
        );
        assert!(c.supports_auth("cram-md5"));
    }

    #[test]
    fn extension_parameters() {
        let c = caps(&[
            "mx",
            "MT-PRIORITY MIXER",
            "DELIVERBY 240",
            "FUTURERELEASE 604800 2026-12-01T00:00:00Z",
            "X-NEW a b",
        ]);
        assert_eq!(c.mt_priority_profile(), Some("MIXER"));
        assert_eq!(c.deliverby_min, Some(240));
        assert_eq!(c.futurerelease_max_interval, Some(604_800));
        assert_eq!(c.futurerelease_max_datetime(), Some("2026-12-01T00:00:00Z"));
        assert!(c.has("x-new"));
    }

    #[test]
    fn non_250_is_an_error() {
        assert_eq!(
            Capabilities::parse(&Reply::new(550, &["no"])),
            Err(CapabilityError::NotOk(550))
        );
    }

    #[test]
    fn limits_follow_mox_rules() {
        let l = Limits::parse(" RCPTMAX=100 MAILMAX=1000 RCPTDOMAINMAX=5 OTHER=x").unwrap();
        assert_eq!(
            (l.mailmax, l.rcptmax, l.rcptdomainmax),
            (Some(1000), Some(100), Some(5))
        );
        assert_eq!(l.params[3], ("OTHER".into(), "x".into()));
        assert_eq!(Limits::parse("rcptmax=3").unwrap().rcptmax, Some(3));
        // A bad value drops that value only.
        let l = Limits::parse("RCPTMAX=abc MAILMAX=1234567 RCPTDOMAINMAX=0").unwrap();
        assert_eq!((l.mailmax, l.rcptmax, l.rcptdomainmax), (None, None, None));
        assert_eq!(l.params.len(), 3);
        // A syntax error or a duplicate drops the whole keyword.
        assert_eq!(Limits::parse("RCPTMAX=1 bogus"), None);
        assert_eq!(Limits::parse("RCPTMAX=1  MAILMAX=2"), None);
        assert_eq!(Limits::parse("RCPTMAX="), None);
        assert_eq!(Limits::parse("RCPTMAX=1 rcptmax=2"), None);
        assert_eq!(Limits::parse("A=b;c"), None);
        assert_eq!(caps(&["mx", "LIMITS RCPTMAX=1 x"]).limits, None);
        assert_eq!(
            caps(&["mx", "LIMITS RCPTMAX=2"]).limits.unwrap().rcptmax,
            Some(2)
        );
    }

    #[test]
    fn limits_names_and_values_follow_the_grammar() {
        // RFC 9422 §4: names of letters, digits, `-` and `_`; values of VCHAR but `;`.
        assert!(Limits::parse("X-LIMIT=1 A_B=2 c3=x~!").is_some());
        for bad in [
            "=5", "RCPTMAX", "A.B=1", "A B", "A=", "A=b;c", "A=\u{7f}", "é=1",
        ] {
            assert_eq!(Limits::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Limits::parse("").map(|l| l.params.len()), Some(0));
        assert_eq!(Limits::parse("   ").map(|l| l.params.len()), Some(0));
        // Values: 1-6 digits and more than zero.
        let v = |s: &str| Limits::parse(&format!("RCPTMAX={s}")).unwrap().rcptmax;
        assert_eq!(v("999999"), Some(999_999));
        assert_eq!(v("1"), Some(1));
        assert_eq!(v("0"), None);
        assert_eq!(v("1000000"), None);
        assert_eq!(v("1a"), None);
    }

    #[test]
    fn debug_shows_what_was_offered() {
        let c = caps(&["mx.example", "PIPELINING", "AUTH PLAIN", "X-ODD a"]);
        let shown = format!("{c:?}");
        for want in [
            "mx.example",
            "pipelining: true",
            "\"PLAIN\"",
            "(\"X-ODD\", \"a\")",
        ] {
            assert!(shown.contains(want), "{want} missing in {shown}");
        }
    }

    #[test]
    fn every_known_keyword_is_recognised_in_any_case() {
        let known = [
            "STARTTLS",
            "ENHANCEDSTATUSCODES",
            "8BITMIME",
            "PIPELINING",
            "SMTPUTF8",
            "REQUIRETLS",
            "CHUNKING",
            "BINARYMIME",
            "DSN",
            "SIZE",
            "AUTH PLAIN",
            "LIMITS RCPTMAX=1",
            "MT-PRIORITY",
            "DELIVERBY",
            "FUTURERELEASE",
        ];
        for (i, line) in known.iter().enumerate() {
            let keyword = line.split(' ').next().unwrap();
            let lower = line.to_ascii_lowercase();
            let c = caps(&["mx", &lower]);
            assert!(c.has(keyword), "{keyword} after {lower:?}");
            assert!(c.other().next().is_none(), "{keyword} is not unknown");
            // Every other known keyword stays off.
            for (j, other) in known.iter().enumerate() {
                let other = other.split(' ').next().unwrap();
                assert_eq!(c.has(other), i == j, "{other} after {line}");
            }
        }
        assert!(!caps(&["mx"]).has("x-unknown"));
    }

    #[test]
    fn hostile_lists_are_capped() {
        let mechs: String = (0..16_000).map(|i| format!(" M{i}")).collect();
        let line = format!("AUTH{mechs}");
        let c = caps(&["mx", &line, "AUTH m0 PLAIN"]);
        assert_eq!(c.auth_mechanisms().count(), MAX_AUTH_MECHANISMS);
        assert!(c.supports_auth("m63") && !c.supports_auth("m64") && !c.supports_auth("PLAIN"));
        let many: Vec<String> = (0..1000).map(|i| format!("X{i}")).collect();
        let mut lines: Vec<&str> = vec!["mx"];
        lines.extend(many.iter().map(String::as_str));
        assert_eq!(caps(&lines).other().count(), MAX_OTHER_KEYWORDS);
        let pairs = |n: usize| -> String { (0..n).map(|i| format!(" A{i}=1")).collect() };
        assert_eq!(Limits::parse(&pairs(MAX_LIMITS_PARAMS + 1)), None);
        assert_eq!(
            Limits::parse(&pairs(MAX_LIMITS_PARAMS)).map(|l| l.params.len()),
            Some(MAX_LIMITS_PARAMS)
        );
    }

    /// Capabilities of an EHLO reply whose keyword lines are `lines` (raw bytes).
    fn caps_of_wire(lines: &[&[u8]]) -> Capabilities {
        let mut wire = b"250-mx".to_vec();
        for line in lines {
            wire.extend_from_slice(b"\r\n250-");
            wire.extend_from_slice(line);
        }
        wire.extend_from_slice(b"\r\n250 PIPELINING\r\n");
        let mut p = crate::reply::ReplyParser::new(crate::reply::ReplyLimits::default());
        let r = p.parse(&mut &wire[..]).unwrap().unwrap();
        Capabilities::parse(&r).unwrap()
    }

    #[test]
    fn non_utf8_bytes_in_every_lane_of_several_words_are_still_seen() {
        // The scan merges the words it reads (keyword, then parameters) to learn
        // whether any byte is not ASCII: the high bits of eight such bytes in each
        // of two words must not cancel out, whether the words are of the keyword or
        // of keyword and parameters.
        let high = [0xffu8; 8];
        let two_words = [&high[..], &high].concat();
        let split = [&high[..], b" ", &high].concat();
        let c = caps_of_wire(&[&two_words, &split, b"X-OK"]);
        assert!(c.pipelining);
        assert_eq!(c.other().collect::<Vec<_>>(), [("X-OK", "")]);
    }

    #[test]
    fn known_keywords_with_trailing_blanks_are_known() {
        // A keyword followed by a tab is found by the line scan, not at the line
        // start, and then recognised by its length and words.
        let c = caps_of_wire(&[
            b"DELIVERBY\t",
            b"DSN\t",
            b"SIZE\t",
            b"LIMITS\t",
            b"STARTTLS\t",
            b"BINARYMIME\t",
            b"MT-PRIORITY\t",
            b"FUTURERELEASE\t",
            b"ENHANCEDSTATUSCODES\t",
        ]);
        assert!(c.deliverby && c.dsn && c.size_advertised && c.limits.is_some());
        assert!(c.starttls && c.binarymime && c.mt_priority && c.futurerelease);
        assert!(c.enhanced_status_codes && c.other().next().is_none());
    }

    #[test]
    fn non_utf8_lines_are_skipped_not_fatal() {
        let mut wire = b"250-mx\r\n250-X\xff\r\n250 PIPELINING\r\n".to_vec();
        let mut p = crate::reply::ReplyParser::new(crate::reply::ReplyLimits::default());
        let mut input = &wire[..];
        let r = p.parse(&mut input).unwrap().unwrap();
        let c = Capabilities::parse(&r).unwrap();
        assert!(c.pipelining && c.other().next().is_none());
        wire.clear();
    }

    #[test]
    fn keywords_match_by_length_and_every_byte_ignoring_only_letter_case() {
        for (name, kind) in [
            (&b"DSN"[..], Keyword::Dsn),
            (b"size", Keyword::Size),
            (b"Auth", Keyword::Auth),
            (b"8bitMIME", Keyword::EightBitMime),
            (b"mt-priority", Keyword::MtPriority),
            (b"EnhancedStatusCodes", Keyword::EnhancedStatusCodes),
        ] {
            assert_eq!(Keyword::of(name), Some(kind), "{name:?}");
        }
        for near in [
            // Prefixes, extensions, empty and very long names.
            &b""[..],
            b"DS",
            b"DSNX",
            b"STARTTL",
            b"STARTTLSS",
            b"AUTHX",
            b"ENHANCEDSTATUSCODE",
            b"ENHANCEDSTATUSCODESX",
            b"ENHANCEDSTATUSCODESENHANCEDSTATUSCODES",
            // Same length, one byte off: first word, overlap, last byte, middle word.
            b"SIZF",
            b"XUTH",
            b"STARTTLZ",
            b"PIPELINIMG",
            b"PIPELININH",
            b"ENHANCEDSTATUSCODEZ",
            b"ENHANCEDSXATUSCODES",
            b"FUTURERELEASF",
            // Bit 5 flipped in a byte that is not a letter, or the high bit set.
            b"\x18BITMIME",
            b"SMTPUTF\x18",
            b"MT\rPRIORITY",
            b"\xd3TARTTLS",
            b"STARTTL\xd3",
        ] {
            assert_eq!(Keyword::of(near), None, "{near:?}");
        }
    }

    #[test]
    fn odd_keywords_stay_unknown_with_their_parameters() {
        let long = "X".repeat(40);
        let c = caps(&[
            "mx",
            "=x",
            "sizes 10",
            "DS",
            "\tDSN\t",
            "STARTTLS\t 1",
            &long,
        ]);
        assert_eq!(
            c.other().collect::<Vec<_>>(),
            [
                ("", "x"),
                ("sizes", "10"),
                ("DS", ""),
                ("STARTTLS\t", "1"),
                (&long[..], "")
            ]
        );
        assert!(c.dsn && !c.size_advertised && !c.starttls);
    }

    /// The line-by-line parser `Capabilities::parse` replaced (15 comparisons per
    /// keyword, `memchr` per line): what the fast one must agree with, field by field
    /// and span by span.
    fn reference(reply: &Reply) -> Capabilities {
        let text = reply.shared_text();
        let first = &text[..memchr::memchr(b'\n', &text).unwrap_or(text.len())];
        let word = &first[..memchr::memchr(b' ', first).unwrap_or(first.len())];
        let domain = match core::str::from_utf8(word) {
            Ok(word) => Span::of(&text, word.as_bytes()),
            Err(_) => Span::default(),
        };
        let mut caps = Capabilities::with_domain(text.clone(), domain);
        for line in text.split(|&b| b == b'\n').skip(1) {
            if core::str::from_utf8(line).is_err() {
                continue;
            }
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            let (keyword, params) = match line.iter().position(|&b| b == b' ' || b == b'=') {
                Some(i) => (&line[..i], &line[i + 1..]),
                None => (line, &line[line.len()..]),
            };
            reference_add(&mut caps, &text, keyword, params.trim_ascii());
        }
        caps
    }

    /// The old `add`: one case-insensitive comparison per known keyword, in turn.
    fn reference_add(c: &mut Capabilities, text: &[u8], keyword: &[u8], params: &[u8]) {
        let mut words = params.split(|&b| b == b' ').filter(|p| !p.is_empty());
        let first = words.clone().next();
        let is = |name: &str| keyword.eq_ignore_ascii_case(name.as_bytes());
        if is("STARTTLS") {
            c.starttls = true;
        } else if is("ENHANCEDSTATUSCODES") {
            c.enhanced_status_codes = true;
        } else if is("8BITMIME") {
            c.eight_bit_mime = true;
        } else if is("PIPELINING") {
            c.pipelining = true;
        } else if is("SMTPUTF8") {
            c.smtputf8 = true;
        } else if is("REQUIRETLS") {
            c.requiretls = true;
        } else if is("CHUNKING") {
            c.chunking = true;
        } else if is("BINARYMIME") {
            c.binarymime = true;
        } else if is("DSN") {
            c.dsn = true;
        } else if is("SIZE") {
            c.size_advertised = true;
            c.max_size = first
                .and_then(|f| core::str::from_utf8(f).ok()?.parse().ok())
                .filter(|&n| n > 0);
        } else if is("AUTH") {
            for mech in words {
                let dup = c
                    .auth_mechanisms()
                    .any(|m| m.as_bytes().eq_ignore_ascii_case(mech));
                if c.auth_count < MAX_AUTH_MECHANISMS && !dup {
                    c.auth_count += 1;
                    let name = Span::of(text, mech);
                    c.entries.push(Entry {
                        auth: true,
                        name,
                        params: Span::default(),
                    });
                }
            }
        } else if is("LIMITS") {
            c.limits = core::str::from_utf8(params).ok().and_then(Limits::parse);
        } else if is("MT-PRIORITY") {
            c.mt_priority = true;
            c.mt_priority_profile = first.map(|p| Span::of(text, p));
        } else if is("DELIVERBY") {
            c.deliverby = true;
            c.deliverby_min = first.and_then(|f| core::str::from_utf8(f).ok()?.parse().ok());
        } else if is("FUTURERELEASE") {
            c.futurerelease = true;
            c.futurerelease_max_interval = words
                .next()
                .and_then(|f| core::str::from_utf8(f).ok()?.parse().ok());
            c.futurerelease_max_datetime = words.next().map(|p| Span::of(text, p));
        } else if c.entries.len() - c.auth_count < MAX_OTHER_KEYWORDS {
            let (name, params) = (Span::of(text, keyword), Span::of(text, params));
            c.entries.push(Entry {
                auth: false,
                name,
                params,
            });
        }
    }

    /// Pieces of EHLO lines: every known keyword in three cases, near misses (one
    /// byte off, one byte more or less, a folded digit or dash), separators and
    /// whitespace, numbers, and bytes that are not UTF-8 or not ASCII.
    const PIECES: &[&[u8]] = &[
        b"STARTTLS",
        b"starttls",
        b"StartTLS",
        b"ENHANCEDSTATUSCODES",
        b"enhancedstatuscodes",
        b"ENHANCEDSXATUSCODES",
        b"8BITMIME",
        b"8bitmime",
        b"\x18BITMIME",
        b"PIPELINING",
        b"pipelininG",
        b"PIPELININ",
        b"SMTPUTF8",
        b"SMTPUTF\x18",
        b"REQUIRETLS",
        b"CHUNKING",
        b"CHUNKINGS",
        b"BINARYMIME",
        b"DSN",
        b"dsn",
        b"DS",
        b"DSNX",
        b"SIZE",
        b"size",
        b"SIZF",
        b"AUTH",
        b"auth",
        b"AUTHX",
        b"LIMITS",
        b"RCPTMAX=3",
        b"MAILMAX=0",
        b"MT-PRIORITY",
        b"mt-priority",
        b"MT-PRIORITZ",
        b"MIXER",
        b"DELIVERBY",
        b"FUTURERELEASE",
        b"2026-12-01T00:00:00Z",
        b"PLAIN",
        b"plain",
        b"LOGIN",
        b"CRAM-MD5",
        b"X-NEW",
        b"VRFY",
        b"10240000",
        b"0",
        b"+7",
        b"99999999999999999999",
        b"18446744073709551615",
        b"18446744073709551616",
        b"0000000000000000000042",
        b"+",
        b" ",
        b"  ",
        b"=",
        b"\t",
        b"\x0c",
        b"\x0b",
        b"\n",
        b"\n\n",
        b"\xc3\x9c",
        b"\xff",
        b"\xd3TARTTLS",
        b"abcdefghijklmnopqrstuvwxyz0123456789",
        // Whole lines, so known keywords with parameters come up often.
        b"SIZE 10240000",
        b"size +7",
        b"SIZE 18446744073709551616",
        b"SIZE 99999999999999999999",
        b"AUTH=LOGIN",
        b"AUTH PLAIN LOGIN plain",
        b"STARTTLS ",
        b"DSN\t",
        b"LIMITS RCPTMAX=3",
        b"FUTURERELEASE 604800 2026-12-01T00:00:00Z",
        b"DELIVERBY 240",
        b"MT-PRIORITY MIXER",
    ];

    /// The 250 reply whose lines are those of `text` (split at `\n`), as parsed from
    /// the wire; `None` when the parser refuses it.
    fn raw_reply(text: &[u8]) -> Option<Reply> {
        let mut wire = Vec::new();
        let mut lines = text.split(|&b| b == b'\n').peekable();
        while let Some(line) = lines.next() {
            wire.extend_from_slice(if lines.peek().is_some() {
                b"250-"
            } else {
                b"250 "
            });
            wire.extend_from_slice(line);
            wire.extend_from_slice(b"\r\n");
        }
        let limits = crate::reply::ReplyLimits {
            max_line: 4096,
            max_reply: 65536,
        };
        let mut p = crate::reply::ReplyParser::new(limits);
        let reply = p.parse(&mut &wire[..]).ok()??;
        assert_eq!(reply.raw_text(), text);
        Some(reply)
    }

    proptest! {
        #[test]
        fn any_ehlo_text_parses_without_panic(lines in proptest::collection::vec("\\PC{0,60}", 1..12)) {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let c = Capabilities::parse(&Reply::new(250, &refs)).unwrap();
            prop_assert_eq!(c.domain(), lines[0].split(' ').next().unwrap_or(""));
            let _ = Limits::parse(&lines[0]);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        #[test]
        fn parse_agrees_with_the_line_by_line_reference(
            lines in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(PIECES), 0..6),
                1..12,
            )
        ) {
            let lines: Vec<Vec<u8>> = lines.iter().map(|pieces| pieces.concat()).collect();
            let text: Vec<u8> = lines.join(&b'\n');
            let reply = raw_reply(&text);
            prop_assume!(reply.is_some());
            let reply = reply.unwrap();
            let want = reference(&reply);
            let got = Capabilities::parse(&reply).unwrap();
            prop_assert_eq!(&got, &want, "{:?}", String::from_utf8_lossy(&text));
            prop_assert_eq!(got.entries, want.entries);
            let helo = Capabilities::from_helo(&reply);
            prop_assert_eq!(helo.domain, want.domain);
            prop_assert_eq!(helo.text, want.text);
        }
    }
}
