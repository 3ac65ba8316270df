//! MTA-STS policies — RFC 8461 §3.2 (policy text: `version`, `mode`, `mx`,
//! `max_age`), §4.1 (matching an MX host against the `mx` patterns: `*.` matches
//! exactly one leftmost label).

use crate::error::DeliveryError;

/// RFC 8461 §3.2: max_age is at most 31557600 seconds (one year).
pub const MAX_MAX_AGE: u64 = 31_557_600;

/// A policy's mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Deliver only to matching hosts with verified TLS.
    Enforce,
    /// Report failures, deliver anyway.
    Testing,
    /// No policy.
    None,
}

impl Mode {
    /// The mode as written in a policy.
    pub fn as_str(&self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }
}

/// A parsed MTA-STS policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The mode.
    pub mode: Mode,
    /// MX patterns, lower case: `mail.example.com` or `*.example.net`.
    pub mx: Vec<String>,
    /// Seconds the policy may be cached.
    pub max_age: u64,
}

impl Policy {
    /// Parses policy text (RFC 8461 §3.2): `key: value` lines ending in CRLF or LF;
    /// `version: STSv1` first; `mode` and `max_age` required; `mx` required unless
    /// the mode is `none`; unknown keys ignored; repeated keys other than `mx` refused.
    pub fn parse(text: &str) -> Result<Policy, DeliveryError> {
        let err = |m: &str| Err(DeliveryError::PolicySyntax(m.into()));
        let (mut version, mut mode, mut max_age, mut mx) = (None, None, None, Vec::new());
        for (n, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return err("line without ':'");
            };
            let value = value.trim_matches(|c| c == ' ' || c == '\t');
            if !valid_key(key) {
                return err("bad key");
            }
            match key {
                "version" if n == 0 && version.is_none() => version = Some(value),
                "version" => return err("version must come first, once"),
                _ if version.is_none() => return err("version must come first"),
                "mode" if mode.is_some() => return err("mode given twice"),
                "mode" => {
                    mode = Some(match value {
                        "enforce" => Mode::Enforce,
                        "testing" => Mode::Testing,
                        "none" => Mode::None,
                        _ => return err("mode must be enforce, testing or none"),
                    })
                }
                "max_age" if max_age.is_some() => return err("max_age given twice"),
                "max_age" => {
                    if value.is_empty()
                        || value.len() > 10
                        || !value.bytes().all(|b| b.is_ascii_digit())
                    {
                        return err("max_age must be a number");
                    }
                    let v: u64 = value
                        .parse()
                        .map_err(|_| DeliveryError::PolicySyntax("max_age".into()))?;
                    if v > MAX_MAX_AGE {
                        return err("max_age above 31557600");
                    }
                    max_age = Some(v);
                }
                "mx" => {
                    if !valid_pattern(value) {
                        return err("bad mx pattern");
                    }
                    mx.push(value.to_ascii_lowercase());
                }
                // RFC 8461 §3.2: unknown fields are ignored, but must have a value.
                _ if value.is_empty() => return err("extension without a value"),
                _ => {}
            }
        }
        if version != Some("STSv1") {
            return err("version must be STSv1");
        }
        let Some(mode) = mode else {
            return err("mode missing");
        };
        let Some(max_age) = max_age else {
            return err("max_age missing");
        };
        if mx.is_empty() && mode != Mode::None {
            return err("mx missing");
        }
        Ok(Policy { mode, mx, max_age })
    }

    /// RFC 8461 §4.1: whether `host` matches an `mx` pattern; `*.example.net`
    /// matches `a.example.net` but neither `example.net` nor `a.b.example.net`.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.mx.iter().any(|p| match p.strip_prefix("*.") {
            Some(suffix) => host
                .split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
            None => *p == host,
        })
    }
}

/// RFC 8461 §3.2: `sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" /
/// "-" / ".")`; the known keys fit it too.
fn valid_key(key: &str) -> bool {
    key.len() <= 32
        && key
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn valid_pattern(p: &str) -> bool {
    let name = p.strip_prefix("*.").unwrap_or(p);
    crate::dns::valid_host(name) && !name.ends_with('.') && !name.contains('*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n";

    #[test]
    fn parses_and_matches() {
        let p = Policy::parse(P).unwrap();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(p.max_age, 604_800);
        assert!(p.matches("mail.example.com"));
        assert!(p.matches("MX1.example.net."));
        assert!(!p.matches("example.net"));
        assert!(!p.matches("a.b.example.net"));
        assert!(!p.matches("other.example.com"));
    }

    #[test]
    fn precise_errors() {
        for bad in [
            "mode: enforce\nversion: STSv1\nmx: a.example\nmax_age: 1",
            "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1",
            "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1",
            "version: STSv1\nmode: enforce\nmax_age: 1",
            "version: STSv1\nmode: enforce\nmx: a.example",
            "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601",
            "version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1",
            "version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1",
            "version: STSv1\ngarbage\n",
            "version: STSv1\nmode: none\nmax_age: 1\n-ext: x\n",
            "version: STSv1\nmode: none\nmax_age: 1\next:\n",
        ] {
            assert!(
                matches!(Policy::parse(bad), Err(DeliveryError::PolicySyntax(_))),
                "{bad}"
            );
        }
        assert!(
            Policy::parse("version: STSv1\nmode: none\nmax_age: 86400\nextension: x\n").is_ok()
        );
    }

    fn policy(lines: &[&str]) -> Result<Policy, DeliveryError> {
        Policy::parse(&lines.join("\n"))
    }

    #[test]
    fn version_first_once_and_every_field_once() {
        let rest = ["mode: enforce", "mx: a.example", "max_age: 1"];
        assert!(policy(&[&["version: STSv1"][..], &rest].concat()).is_ok());
        for bad in [
            [&["", "version: STSv1"][..], &rest].concat(),
            [&["version: STSv1", "version: STSv1"][..], &rest].concat(),
            [&["version: STSv1"][..], &rest, &["max_age: 2"]].concat(),
            [&["version: STSv1"][..], &rest, &["version: STSv1"]].concat(),
        ] {
            assert!(
                matches!(policy(&bad), Err(DeliveryError::PolicySyntax(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_field_before_the_version_is_named_as_such() {
        let got = policy(&[
            "mode: enforce",
            "version: STSv1",
            "mx: a.example",
            "max_age: 1",
        ]);
        assert_eq!(
            got,
            Err(DeliveryError::PolicySyntax(
                "version must come first".into()
            ))
        );
    }

    #[test]
    fn max_age_is_up_to_ten_digits_and_one_year() {
        let with =
            |age: &str| policy(&["version: STSv1", "mode: none", &format!("max_age: {age}")]);
        assert_eq!(with("31557600").map(|p| p.max_age), Ok(31_557_600));
        assert_eq!(with("0000086400").map(|p| p.max_age), Ok(86_400));
        for bad in ["31557601", "00000086400", "", "86400s", "+1", "-1"] {
            assert!(with(bad).is_err(), "max_age {bad:?}");
        }
    }

    #[test]
    fn mx_patterns_are_host_names_with_one_leading_wildcard_label() {
        let with = |mx: &str| {
            policy(&[
                "version: STSv1",
                "mode: enforce",
                "max_age: 1",
                &format!("mx: {mx}"),
            ])
        };
        assert!(with("*.example.net").is_ok());
        assert!(with("mail.example.net").is_ok());
        for bad in [
            "*.example.net.",
            "mail.example.net.",
            "a*b.example",
            "*.*.example",
            "*",
        ] {
            assert!(with(bad).is_err(), "mx {bad:?}");
        }
    }

    #[test]
    fn modes_and_errors_have_their_names() {
        let modes = [
            (Mode::Enforce, "enforce"),
            (Mode::Testing, "testing"),
            (Mode::None, "none"),
        ];
        for (mode, name) in modes {
            assert_eq!(mode.as_str(), name);
        }
        let errors = [
            (DeliveryError::CnameLoop, "cname_loop"),
            (DeliveryError::CnameLimit, "cname_limit"),
            (DeliveryError::Dns, "dns"),
            (DeliveryError::NxDomain, "nxdomain"),
            (DeliveryError::NullMx, "null_mx"),
            (DeliveryError::InvalidName, "invalid_name"),
            (DeliveryError::PolicySyntax("x".into()), "policy_syntax"),
        ];
        for (error, name) in errors {
            assert_eq!(error.as_str(), name);
        }
    }
}
