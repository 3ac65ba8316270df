//! Bearer-token mechanisms: XOAUTH2 (Google's) and OAUTHBEARER (RFC 7628). A failed
//! token gets an error challenge, answered with an empty line (XOAUTH2) or `%x01`
//! (RFC 7628 §3.2.3) instead of `*` (rule 16).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{Mechanism, SaslError};
use crate::tls::TlsInfo;

/// XOAUTH2: `user=<u>^Aauth=Bearer <t>^A^A`.
pub struct XOAuth2 {
    user: String,
    token: String,
    sent: bool,
}

impl XOAuth2 {
    /// XOAUTH2 for a user and an OAuth 2.0 access token.
    #[must_use]
    pub fn new(user: &str, token: &str) -> XOAuth2 {
        XOAuth2 {
            user: user.into(),
            token: token.into(),
            sent: false,
        }
    }
}

impl fmt::Debug for XOAuth2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XOAuth2")
            .field("user", &self.user)
            .finish_non_exhaustive()
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
        self.sent = true;
        Ok(Some(
            format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token).into_bytes(),
        ))
    }
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        Err(SaslError::ServerAuth(
            String::from_utf8_lossy(challenge).into_owned(),
        ))
    }
    fn error_response(&self) -> Option<Vec<u8>> {
        Some(Vec::new())
    }
    fn is_complete(&self) -> bool {
        self.sent
    }
}

/// OAUTHBEARER (RFC 7628 §3.1): GS2 header, then host, port and the bearer token.
pub struct OAuthBearer {
    user: String,
    host: Option<String>,
    port: Option<u16>,
    token: String,
    sent: bool,
}

impl OAuthBearer {
    /// OAUTHBEARER for a user, the server's host and port (optional) and a token.
    #[must_use]
    pub fn new(user: &str, host: Option<&str>, port: Option<u16>, token: &str) -> OAuthBearer {
        OAuthBearer {
            user: user.into(),
            host: host.map(String::from),
            port,
            token: token.into(),
            sent: false,
        }
    }
}

impl fmt::Debug for OAuthBearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthBearer")
            .field("user", &self.user)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
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
        self.sent = true;
        Ok(Some(m.into_bytes()))
    }
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        Err(SaslError::ServerAuth(
            String::from_utf8_lossy(challenge).into_owned(),
        ))
    }
    fn error_response(&self) -> Option<Vec<u8>> {
        Some(alloc::vec![0x01]) // RFC 7628 §3.2.3
    }
    fn is_complete(&self) -> bool {
        self.sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_message_and_error_answer() {
        let mut x = XOAuth2::new(
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
        );
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
        );
        assert_eq!(
            o.initial_response(None).unwrap().unwrap(),
            b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
        assert_eq!(o.error_response(), Some(alloc::vec![1]));
        assert_eq!(gs2_escape("a,b=c"), "a=2Cb=3Dc");
    }
}
