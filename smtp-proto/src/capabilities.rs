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
        let mut caps = Capabilities::from_helo(reply);
        let text = caps.text.clone();
        // Line ends found with memchr; the first line is the greeting, not a keyword.
        // Each line is taken with its `\n`, which the trim below removes. (Starting a
        // line at its `\n` instead of after it is an equivalent mutant for the same
        // reason: the trim removes that `\n` too.)
        let mut starts = memchr::memchr_iter(b'\n', &text).map(|i| i + 1);
        let mut next = starts.next();
        while let Some(start) = next {
            next = starts.next();
            let line = &text[start..next.unwrap_or(text.len())];
            // Bytes throughout: keywords are ASCII, and only a line that is not UTF-8
            // needs the full check (it is skipped).
            if !line.is_ascii() && core::str::from_utf8(line).is_err() {
                continue;
            }
            let line = line.trim_ascii();
            if line.is_empty() {
                continue; // Postfix smtp-sink ends with an empty `250 `.
            }
            // The empty parameter text is the line's own end, so it is a span too.
            let cut = line.iter().position(|&b| b == b' ' || b == b'=');
            let (keyword, params) = match cut {
                Some(i) => (&line[..i], &line[i + 1..]),
                None => (line, &line[line.len()..]),
            };
            caps.add(&text, keyword, params.trim_ascii());
        }
        Ok(caps)
    }

    /// What a HELO reply tells: the server's name and no extension at all.
    pub fn from_helo(reply: &Reply) -> Capabilities {
        let text = reply.shared_text();
        // RFC 5321 §4.1.1.1: the first line is the server's domain and a greeting.
        let first = &text[..memchr::memchr(b'\n', &text).unwrap_or(text.len())];
        let word_len = memchr::memchr(b' ', first).unwrap_or(first.len());
        let domain = match core::str::from_utf8(&first[..word_len]) {
            Ok(word) => Span::of(&text, word.as_bytes()),
            Err(_) => Span::default(),
        };
        Capabilities {
            text,
            domain,
            ..Capabilities::default()
        }
    }

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

    /// Records one keyword and its parameter text (both sub-slices of `text`, UTF-8).
    fn add(&mut self, text: &[u8], keyword: &[u8], params: &[u8]) {
        let mut words = params.split(|&b| b == b' ').filter(|p| !p.is_empty());
        let first = words.clone().next();
        let is = |name: &str| keyword.eq_ignore_ascii_case(name.as_bytes());
        if is("STARTTLS") {
            self.starttls = true;
        } else if is("ENHANCEDSTATUSCODES") {
            self.enhanced_status_codes = true;
        } else if is("8BITMIME") {
            self.eight_bit_mime = true;
        } else if is("PIPELINING") {
            self.pipelining = true;
        } else if is("SMTPUTF8") {
            self.smtputf8 = true; // RFC 6531 §3.3: parameters ignored
        } else if is("REQUIRETLS") {
            self.requiretls = true;
        } else if is("CHUNKING") {
            self.chunking = true;
        } else if is("BINARYMIME") {
            self.binarymime = true;
        } else if is("DSN") {
            self.dsn = true;
        } else if is("SIZE") {
            // RFC 1870 §4 / rule 12: no number, 0 or garbage = no known limit.
            self.size_advertised = true;
            self.max_size = first.and_then(decimal).filter(|&n| n > 0);
        } else if is("AUTH") {
            // RFC 4954 §3, plus the pre-standard `AUTH=` form some servers still send.
            for mech in words {
                self.add_mechanism(text, mech);
            }
        } else if is("LIMITS") {
            self.limits = core::str::from_utf8(params).ok().and_then(Limits::parse);
        } else if is("MT-PRIORITY") {
            self.mt_priority = true;
            self.mt_priority_profile = first.map(|p| Span::of(text, p));
        } else if is("DELIVERBY") {
            self.deliverby = true;
            self.deliverby_min = first.and_then(decimal);
        } else if is("FUTURERELEASE") {
            // RFC 4865 §3: max-future-release-interval SP max-future-release-date-time
            self.futurerelease = true;
            self.futurerelease_max_interval = words.next().and_then(decimal);
            self.futurerelease_max_datetime = words.next().map(|p| Span::of(text, p));
        } else if self.entries.len() - self.auth_count < MAX_OTHER_KEYWORDS {
            self.entries.push(Entry {
                auth: false,
                name: Span::of(text, keyword),
                params: Span::of(text, params),
            });
        }
    }

    /// Keeps `mech` unless it is a duplicate or the list is full: one comparison per
    /// kept mechanism, so a hostile list costs linear time.
    fn add_mechanism(&mut self, text: &[u8], mech: &[u8]) {
        if self.auth_count >= MAX_AUTH_MECHANISMS
            || self
                .auth_mechanisms()
                .any(|m| m.as_bytes().eq_ignore_ascii_case(mech))
        {
            return;
        }
        self.auth_count += 1;
        self.entries.push(Entry {
            auth: true,
            name: Span::of(text, mech),
            params: Span::default(),
        });
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

/// A decimal number as `str::parse::<u64>` reads one (an optional `+`, then digits;
/// `None` on overflow), without a UTF-8 check first.
fn decimal(b: &[u8]) -> Option<u64> {
    let digits = b.strip_prefix(b"+").unwrap_or(b);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
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
        ] {
            let c = caps(&["mx", v]);
            assert!(c.size_advertised, "{v}");
            assert_eq!(c.max_size, None, "{v}");
        }
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

    proptest! {
        #[test]
        fn any_ehlo_text_parses_without_panic(lines in proptest::collection::vec("\\PC{0,60}", 1..12)) {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let c = Capabilities::parse(&Reply::new(250, &refs)).unwrap();
            prop_assert_eq!(c.domain(), lines[0].split(' ').next().unwrap_or(""));
            let _ = Limits::parse(&lines[0]);
        }
    }
}
