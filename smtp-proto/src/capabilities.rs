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

use crate::reply::Reply;

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

/// What a server supports, from its EHLO or LHLO reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The server's name: the first word of the first line (never a capability).
    pub domain: String,
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
    /// AUTH mechanisms, upper-cased, deduplicated, in order; includes the old `AUTH=` form.
    pub auth: Vec<String>,
    /// LIMITS (RFC 9422), when present and valid.
    pub limits: Option<Limits>,
    /// MT-PRIORITY (RFC 6710) was advertised.
    pub mt_priority: bool,
    /// The MT-PRIORITY profile name, if one was given (e.g. `MIXER`).
    pub mt_priority_profile: Option<String>,
    /// DELIVERBY (RFC 2852) was advertised.
    pub deliverby: bool,
    /// DELIVERBY's minimum by-time in seconds, when given.
    pub deliverby_min: Option<u64>,
    /// FUTURERELEASE (RFC 4865) was advertised.
    pub futurerelease: bool,
    /// FUTURERELEASE's max-future-release-interval in seconds, when valid.
    pub futurerelease_max_interval: Option<u64>,
    /// FUTURERELEASE's max-future-release-date-time, as given.
    pub futurerelease_max_datetime: Option<String>,
    /// Every other keyword, upper-cased, with its parameters as given.
    pub other: Vec<(String, Vec<String>)>,
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
    /// (smtp-sink's last `250 `) is skipped; unknown keywords go to `other`.
    pub fn parse(reply: &Reply) -> Result<Capabilities, CapabilityError> {
        if reply.code != 250 {
            return Err(CapabilityError::NotOk(reply.code));
        }
        let mut caps = Capabilities::default();
        let mut lines = reply.lines.iter();
        // RFC 5321 §4.1.1.1: the first line is the server's domain and a greeting.
        if let Some(first) = lines.next() {
            caps.domain = String::from(first.split(' ').next().unwrap_or(""));
        }
        for line in lines {
            let line = line.trim();
            if line.is_empty() {
                continue; // Postfix smtp-sink ends with an empty `250 `.
            }
            let (keyword, params) = match line.split_once([' ', '=']) {
                Some((k, p)) => (k, p),
                None => (line, ""),
            };
            caps.add(&keyword.to_ascii_uppercase(), params.trim());
        }
        Ok(caps)
    }

    /// Records one keyword (upper case) and its parameter text.
    fn add(&mut self, keyword: &str, params: &str) {
        let first = params.split(' ').find(|p| !p.is_empty());
        match keyword {
            "STARTTLS" => self.starttls = true,
            "ENHANCEDSTATUSCODES" => self.enhanced_status_codes = true,
            "8BITMIME" => self.eight_bit_mime = true,
            "PIPELINING" => self.pipelining = true,
            "SMTPUTF8" => self.smtputf8 = true, // RFC 6531 §3.3: parameters ignored
            "REQUIRETLS" => self.requiretls = true,
            "CHUNKING" => self.chunking = true,
            "BINARYMIME" => self.binarymime = true,
            "DSN" => self.dsn = true,
            "SIZE" => {
                // RFC 1870 §4 / rule 12: no number, 0 or garbage = no known limit.
                self.size_advertised = true;
                self.max_size = first.and_then(|v| v.parse::<u64>().ok()).filter(|&n| n > 0);
            }
            // RFC 4954 §3, plus the pre-standard `AUTH=` form some servers still send.
            "AUTH" => {
                for mech in params.split(' ').filter(|m| !m.is_empty()) {
                    let mech = mech.to_ascii_uppercase();
                    if !self.auth.contains(&mech) {
                        self.auth.push(mech);
                    }
                }
            }
            "LIMITS" => self.limits = Limits::parse(params),
            "MT-PRIORITY" => {
                self.mt_priority = true;
                self.mt_priority_profile = first.map(String::from);
            }
            "DELIVERBY" => {
                self.deliverby = true;
                self.deliverby_min = first.and_then(|v| v.parse().ok());
            }
            "FUTURERELEASE" => {
                // RFC 4865 §3: max-future-release-interval SP max-future-release-date-time
                self.futurerelease = true;
                let mut it = params.split(' ').filter(|p| !p.is_empty());
                self.futurerelease_max_interval = it.next().and_then(|v| v.parse().ok());
                self.futurerelease_max_datetime = it.next().map(String::from);
            }
            _ => {
                let params = params
                    .split(' ')
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect();
                self.other.push((String::from(keyword), params));
            }
        }
    }
    /// True when `mechanism` (any case) is among the AUTH mechanisms.
    pub fn supports_auth(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|m| m.eq_ignore_ascii_case(mechanism))
    }
    /// Whether the keyword (any case) was advertised, known or not.
    pub fn has(&self, keyword: &str) -> bool {
        let k = keyword.to_ascii_uppercase();
        let known = match k.as_str() {
            "STARTTLS" => self.starttls,
            "ENHANCEDSTATUSCODES" => self.enhanced_status_codes,
            "8BITMIME" => self.eight_bit_mime,
            "PIPELINING" => self.pipelining,
            "SMTPUTF8" => self.smtputf8,
            "REQUIRETLS" => self.requiretls,
            "CHUNKING" => self.chunking,
            "BINARYMIME" => self.binarymime,
            "DSN" => self.dsn,
            "SIZE" => self.size_advertised,
            "AUTH" => !self.auth.is_empty(),
            "LIMITS" => self.limits.is_some(),
            "MT-PRIORITY" => self.mt_priority,
            "DELIVERBY" => self.deliverby,
            "FUTURERELEASE" => self.futurerelease,
            _ => false,
        };
        known || self.other.iter().any(|(o, _)| *o == k)
    }
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
    use alloc::vec;
    use proptest::prelude::*;

    fn caps(lines: &[&str]) -> Capabilities {
        Capabilities::parse(&Reply::new(
            250,
            lines.iter().map(|l| String::from(*l)).collect(),
        ))
        .unwrap()
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
        assert_eq!(c.domain, "mx.example.net");
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
        assert_eq!(c.auth, vec!["PLAIN", "LOGIN"]);
        assert!(c.has("vrfy") && c.has("ETRN") && !c.has("BINARYMIME"));
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
            c.other,
            vec![
                ("XCLIENT".into(), vec!["NAME".into(), "ADDR".into()]),
                ("XFORWARD".into(), vec!["NAME".into()])
            ]
        );
    }

    #[test]
    fn first_line_is_never_a_capability() {
        let c = caps(&["PIPELINING", "8bitmime"]);
        assert!(!c.pipelining && c.eight_bit_mime);
        assert_eq!(c.domain, "PIPELINING");
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
        assert_eq!(c.auth, vec!["LOGIN", "PLAIN", "CRAM-MD5"]);
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
        assert_eq!(c.mt_priority_profile.as_deref(), Some("MIXER"));
        assert_eq!(c.deliverby_min, Some(240));
        assert_eq!(c.futurerelease_max_interval, Some(604_800));
        assert_eq!(
            c.futurerelease_max_datetime.as_deref(),
            Some("2026-12-01T00:00:00Z")
        );
        assert!(c.has("x-new"));
    }

    #[test]
    fn non_250_is_an_error() {
        assert_eq!(
            Capabilities::parse(&Reply::new(550, vec!["no".into()])),
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

    proptest! {
        #[test]
        fn any_ehlo_text_parses_without_panic(lines in proptest::collection::vec("\\PC{0,60}", 1..12)) {
            let c = Capabilities::parse(&Reply::new(250, lines.clone())).unwrap();
            prop_assert_eq!(c.domain, lines[0].split(' ').next().unwrap_or("").to_string());
            let _ = Limits::parse(&lines[0]);
        }
    }
}
