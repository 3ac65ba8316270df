//! RFC 7628 §3.1 (OAUTHBEARER client response), §3.2.2 (the error challenge) and
//! §3.2.3 (the client's answer to it), RFC 6750 §2.1 (bearer token syntax), and
//! XOAUTH2 (Google's older framing of the same token). A failed token gets an error
//! challenge, answered with an empty line (XOAUTH2) or `%x01` (RFC 7628 §3.2.3)
//! instead of `*`; the exchange then stays incomplete, so a later 235 is an error.
//!
//! Both mechanisms separate their fields with `%x01`, so the constructors refuse it
//! in the user name and host, and take only a token in the RFC 6750 `b64token`
//! syntax (which excludes `%x01`, spaces and controls).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{forbid, Mechanism, Redacted, SaslError};
use crate::tls::TlsInfo;

/// `%x01`, the field separator of both bearer-token mechanisms (RFC 7628 §3.1 kvsep).
const KVSEP: &[char] = &['\x01'];

/// RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// Refuses a token outside the `b64token` syntax: it follows `Bearer ` in the
/// response, and anything else (a space, `%x01`, a control) would break the framing.
fn check_token(token: &str) -> Result<(), SaslError> {
    if is_b64token(token) {
        Ok(())
    } else {
        Err(SaslError::InvalidInput {
            field: "token",
            reason: "not an RFC 6750 b64token",
        })
    }
}

/// Where a bearer-token exchange stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Nothing sent yet.
    Start,
    /// The token went out; no challenge came back.
    Sent,
    /// The server answered with an error challenge: the exchange failed, whatever
    /// reply follows the client's answer to it.
    Refused,
}

/// XOAUTH2: `user=<u>^Aauth=Bearer <t>^A^A`.
pub struct XOAuth2 {
    user: String,
    token: String,
    stage: Stage,
}

impl XOAuth2 {
    /// XOAUTH2 for a user and an OAuth 2.0 access token. Refuses, with
    /// [`SaslError::InvalidInput`], a user name holding `%x01` (the field separator)
    /// and a token outside the RFC 6750 `b64token` syntax.
    pub fn new(user: &str, token: &str) -> Result<XOAuth2, SaslError> {
        forbid("user", user, KVSEP, "contains %x01, the field separator")?;
        check_token(token)?;
        Ok(XOAuth2 {
            user: user.into(),
            token: token.into(),
            stage: Stage::Start,
        })
    }
}

impl fmt::Debug for XOAuth2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XOAuth2")
            .field("user", &self.user)
            .field("token", &Redacted)
            .field("stage", &self.stage)
            .finish()
    }
}

impl Mechanism for XOAuth2 {
    fn name(&self) -> &str {
        "XOAUTH2"
    }
    fn sends_plaintext_secret(&self) -> bool {
        true
    }
    fn initial_response(&mut self, _tls: Option<&TlsInfo>) -> Result<Option<Vec<u8>>, SaslError> {
        self.stage = Stage::Sent;
        Ok(Some(
            format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token).into_bytes(),
        ))
    }
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        refused(&mut self.stage, challenge)
    }
    fn error_response(&self) -> Option<Vec<u8>> {
        Some(Vec::new())
    }
    fn is_complete(&self) -> bool {
        self.stage == Stage::Sent
    }
}

/// OAUTHBEARER (RFC 7628 §3.1): GS2 header, then host, port and the bearer token.
pub struct OAuthBearer {
    user: String,
    host: Option<String>,
    port: Option<u16>,
    token: String,
    stage: Stage,
}

impl OAuthBearer {
    /// OAUTHBEARER for a user, the server's host and port (optional) and a token.
    /// The user name goes into the GS2 header as `a=` with `=` and `,` escaped
    /// (`=3D`, `=2C`). Refuses, with [`SaslError::InvalidInput`], a user name holding
    /// NUL or `%x01`, a host holding `%x01`, and a token outside the RFC 6750
    /// `b64token` syntax.
    pub fn new(
        user: &str,
        host: Option<&str>,
        port: Option<u16>,
        token: &str,
    ) -> Result<OAuthBearer, SaslError> {
        // RFC 5801 §4: a saslname holds no NUL; `%x01` would end the GS2 header early.
        forbid("user", user, &['\0', '\x01'], "contains NUL or %x01")?;
        if let Some(h) = host {
            // RFC 7628 §3.1: `%x01` ends a kvpair value.
            forbid("host", h, KVSEP, "contains %x01, the field separator")?;
        }
        check_token(token)?;
        Ok(OAuthBearer {
            user: user.into(),
            host: host.map(String::from),
            port,
            token: token.into(),
            stage: Stage::Start,
        })
    }
}

impl fmt::Debug for OAuthBearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthBearer")
            .field("user", &self.user)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("token", &Redacted)
            .field("stage", &self.stage)
            .finish()
    }
}

/// Any challenge after the token is an error challenge (a JSON status, RFC 7628
/// §3.2.2): the exchange has failed, so it can no longer complete.
fn refused(stage: &mut Stage, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
    *stage = Stage::Refused;
    Err(SaslError::ServerAuth(
        String::from_utf8_lossy(challenge).into_owned(),
    ))
}

/// RFC 5801 §4 saslname: `,` and `=` escaped as `=2C` and `=3D`.
pub(super) fn gs2_escape(s: &str) -> String {
    s.replace('=', "=3D").replace(',', "=2C")
}

impl Mechanism for OAuthBearer {
    fn name(&self) -> &str {
        "OAUTHBEARER"
    }
    fn sends_plaintext_secret(&self) -> bool {
        true
    }
    fn initial_response(&mut self, _tls: Option<&TlsInfo>) -> Result<Option<Vec<u8>>, SaslError> {
        let mut m = format!("n,a={},\x01", gs2_escape(&self.user));
        if let Some(h) = &self.host {
            m.push_str(&format!("host={h}\x01"));
        }
        if let Some(p) = self.port {
            m.push_str(&format!("port={p}\x01"));
        }
        m.push_str(&format!("auth=Bearer {}\x01\x01", self.token));
        self.stage = Stage::Sent;
        Ok(Some(m.into_bytes()))
    }
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        refused(&mut self.stage, challenge)
    }
    fn error_response(&self) -> Option<Vec<u8>> {
        Some(alloc::vec![0x01]) // RFC 7628 §3.2.3
    }
    fn is_complete(&self) -> bool {
        self.stage == Stage::Sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_reusable_secrets() {
        // Rule 15: never sent without TLS unless the caller opts in.
        assert!(XOAuth2::new("u", "tok").unwrap().sends_plaintext_secret());
        let bearer = OAuthBearer::new("u", None, None, "tok").unwrap();
        assert!(bearer.sends_plaintext_secret());
    }
    use crate::sasl::test_support::assert_hides;

    #[test]
    fn xoauth2_message_and_error_answer() {
        let mut x = XOAuth2::new(
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
        )
        .unwrap();
        assert_eq!(
            x.initial_response(None).unwrap().unwrap(),
            b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
        );
        assert!(matches!(
            x.step(b"{\"status\":\"401\"}"),
            Err(SaslError::ServerAuth(_))
        ));
        assert_eq!(x.error_response(), Some(Vec::new()));
        assert!(!format!("{x:?}").contains("ya29"));
    }

    #[test]
    fn oauthbearer_matches_rfc7628_example() {
        // RFC 7628 §4.1
        let mut o = OAuthBearer::new(
            "user@example.com",
            Some("server.example.com"),
            Some(143),
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
        )
        .unwrap();
        assert_eq!(
            o.initial_response(None).unwrap().unwrap(),
            b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
        assert_eq!(o.error_response(), Some(alloc::vec![1]));
        assert_eq!(gs2_escape("a,b=c"), "a=2Cb=3Dc");
    }

    fn invalid(field: &'static str, reason: &'static str) -> SaslError {
        SaslError::InvalidInput { field, reason }
    }

    #[test]
    fn tokens_must_be_rfc6750_b64tokens() {
        for good in ["tok", "ya29.a-b_c~d+e/f", "abc==", "A1="] {
            assert!(is_b64token(good), "{good:?}");
            assert!(XOAuth2::new("u", good).is_ok(), "{good:?}");
            assert!(OAuthBearer::new("u", None, None, good).is_ok(), "{good:?}");
        }
        let bad_token = invalid("token", "not an RFC 6750 b64token");
        for bad in [
            "",
            "==",
            "a=b",
            "a b",
            "tok\x01auth=Bearer x",
            "t\r\n",
            "tök",
            "a,b",
        ] {
            assert!(!is_b64token(bad), "{bad:?}");
            assert_eq!(XOAuth2::new("u", bad).unwrap_err(), bad_token, "{bad:?}");
            assert_eq!(
                OAuthBearer::new("u", None, None, bad).unwrap_err(),
                bad_token,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn field_separator_is_refused_in_user_and_host() {
        assert_eq!(
            XOAuth2::new("u\x01auth=Bearer evil", "tok").unwrap_err(),
            invalid("user", "contains %x01, the field separator")
        );
        let user = invalid("user", "contains NUL or %x01");
        assert_eq!(
            OAuthBearer::new("u\x01host=evil", None, None, "tok").unwrap_err(),
            user
        );
        assert_eq!(
            OAuthBearer::new("u\0", None, None, "tok").unwrap_err(),
            user
        );
        assert_eq!(
            OAuthBearer::new("u", Some("h\x01auth=Bearer x"), None, "tok").unwrap_err(),
            invalid("host", "contains %x01, the field separator")
        );
    }

    #[test]
    fn oauthbearer_authzid_escapes_comma_and_equals() {
        // RFC 7628 §3.1 / RFC 5801 §4: `a=` is a saslname, `,` and `=` encoded.
        let mut o = OAuthBearer::new("a,b=c", None, None, "tok").unwrap();
        assert_eq!(
            o.initial_response(None).unwrap().unwrap(),
            b"n,a=a=2Cb=3Dc,\x01auth=Bearer tok\x01\x01"
        );
    }

    #[test]
    fn error_challenge_leaves_the_exchange_incomplete() {
        // A 235 after the client answered an error challenge must not count as
        // success: the mechanism saw the server refuse the token.
        let mut x = XOAuth2::new("u", "tok").unwrap();
        assert!(!x.is_complete());
        x.initial_response(None).unwrap();
        assert!(x.is_complete(), "no challenge yet: done on our side");
        assert!(x.step(b"{\"status\":\"401\"}").is_err());
        assert!(!x.is_complete());
        assert!(x.step(b"").is_err());
        assert!(!x.is_complete(), "stays failed");

        let mut o = OAuthBearer::new("u", None, None, "tok").unwrap();
        o.initial_response(None).unwrap();
        assert!(o.is_complete());
        assert!(o.step(b"{\"status\":\"invalid_token\"}").is_err());
        assert!(!o.is_complete());
    }

    #[test]
    fn debug_hides_the_token_at_every_step() {
        const TOKEN: &str = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";
        let mut x = XOAuth2::new("someuser@example.com", TOKEN).unwrap();
        assert_hides(&format!("{x:?}"), TOKEN.as_bytes(), "XOAUTH2 new");
        x.initial_response(None).unwrap();
        assert_hides(&format!("{x:?}"), TOKEN.as_bytes(), "XOAUTH2 sent");
        assert!(x.step(b"{\"status\":\"401\"}").is_err());
        assert_hides(&format!("{x:?}"), TOKEN.as_bytes(), "XOAUTH2 refused");
        assert!(format!("{x:?}").contains("<redacted>"));

        let mut o = OAuthBearer::new(
            "user@example.com",
            Some("server.example.com"),
            Some(587),
            TOKEN,
        )
        .unwrap();
        assert_hides(&format!("{o:?}"), TOKEN.as_bytes(), "OAUTHBEARER new");
        o.initial_response(None).unwrap();
        assert_hides(&format!("{o:?}"), TOKEN.as_bytes(), "OAUTHBEARER sent");
        assert!(o.step(b"{\"status\":\"invalid_token\"}").is_err());
        assert_hides(&format!("{o:?}"), TOKEN.as_bytes(), "OAUTHBEARER refused");
        assert!(format!("{o:?}").contains("<redacted>"));
    }
}
