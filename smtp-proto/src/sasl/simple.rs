//! PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login) and EXTERNAL (RFC 4422
//! Appendix A).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{Mechanism, SaslError};
use crate::tls::TlsInfo;

/// PLAIN: `authzid NUL user NUL password` as the initial response (RFC 4616 §2).
pub struct Plain {
    message: Vec<u8>,
    user: String,
    sent: bool,
}

impl Plain {
    /// PLAIN with an optional authorization identity.
    #[must_use]
    pub fn new(authzid: Option<&str>, username: &str, password: &str) -> Plain {
        let mut message = Vec::new();
        message.extend_from_slice(authzid.unwrap_or("").as_bytes());
        message.push(0);
        message.extend_from_slice(username.as_bytes());
        message.push(0);
        message.extend_from_slice(password.as_bytes());
        Plain {
            message,
            user: username.into(),
            sent: false,
        }
    }
}

impl fmt::Debug for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plain")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Mechanism for Plain {
    fn name(&self) -> &str {
        "PLAIN"
    }
    fn sends_plaintext_secret(&self) -> bool {
        true
    }
    fn initial_response(&mut self, _tls: Option<&TlsInfo>) -> Result<Option<Vec<u8>>, SaslError> {
        self.sent = true;
        Ok(Some(self.message.clone()))
    }
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        // RFC 4954 §4: a server may send an empty 334 when the response was not on
        // the AUTH line; anything else is one challenge too many.
        if !self.sent && challenge.is_empty() {
            self.sent = true;
            return Ok(self.message.clone());
        }
        Err(SaslError::BadChallenge("PLAIN takes no challenge".into()))
    }
    fn is_complete(&self) -> bool {
        self.sent
    }
}

/// LOGIN: the user name answers the first challenge and the password the second,
/// whatever their text (aiosmtpd sends `User Name\0`, others `Username:`).
pub struct Login {
    user: String,
    password: String,
    answered: u8,
}

impl Login {
    /// LOGIN with a user name and password.
    #[must_use]
    pub fn new(username: &str, password: &str) -> Login {
        Login {
            user: username.into(),
            password: password.into(),
            answered: 0,
        }
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Mechanism for Login {
    fn name(&self) -> &str {
        "LOGIN"
    }
    fn sends_plaintext_secret(&self) -> bool {
        true
    }
    fn initial_response(&mut self, _tls: Option<&TlsInfo>) -> Result<Option<Vec<u8>>, SaslError> {
        Ok(None) // rule 16: LOGIN sends no initial response.
    }
    fn step(&mut self, _challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        // Saturating: a server that keeps sending challenges cannot overflow the count.
        self.answered = self.answered.saturating_add(1);
        match self.answered {
            1 => Ok(self.user.as_bytes().to_vec()),
            2 => Ok(self.password.as_bytes().to_vec()),
            _ => Err(SaslError::BadChallenge("LOGIN takes two challenges".into())),
        }
    }
    fn is_complete(&self) -> bool {
        self.answered == 2
    }
}

/// EXTERNAL: the identity comes from outside SASL (a TLS client certificate); the
/// initial response is the authorization identity or empty (RFC 4422 Appendix A).
#[derive(Debug)]
pub struct External {
    authzid: String,
    sent: bool,
}

impl External {
    /// EXTERNAL with an optional authorization identity.
    #[must_use]
    pub fn new(authzid: Option<&str>) -> External {
        External {
            authzid: authzid.unwrap_or("").into(),
            sent: false,
        }
    }
}

impl Mechanism for External {
    fn name(&self) -> &str {
        "EXTERNAL"
    }
    fn sends_plaintext_secret(&self) -> bool {
        false
    }
    fn initial_response(&mut self, _tls: Option<&TlsInfo>) -> Result<Option<Vec<u8>>, SaslError> {
        self.sent = true;
        Ok(Some(self.authzid.as_bytes().to_vec()))
    }
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        if !self.sent && challenge.is_empty() {
            self.sent = true;
            return Ok(self.authzid.as_bytes().to_vec());
        }
        Err(SaslError::BadChallenge(
            "EXTERNAL takes no challenge".into(),
        ))
    }
    fn is_complete(&self) -> bool {
        self.sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_message_and_no_second_step() {
        let mut p = Plain::new(Some("admin"), "tim", "tanstaaf");
        assert_eq!(
            p.initial_response(None).unwrap().unwrap(),
            b"admin\0tim\0tanstaaf"
        );
        assert!(p.is_complete());
        assert!(p.step(b"").is_err());
        assert!(!alloc::format!("{p:?}").contains("tanstaaf"));
        let mut q = Plain::new(None, "u", "p");
        assert_eq!(
            q.step(b"").unwrap(),
            b"\0u\0p",
            "response after an empty 334"
        );
    }

    #[test]
    fn login_answers_two_challenges_whatever_their_text() {
        let mut l = Login::new("user", "secret");
        assert_eq!(l.initial_response(None).unwrap(), None);
        assert_eq!(l.step(b"User Name\0").unwrap(), b"user");
        assert!(!l.is_complete());
        assert_eq!(l.step(b"Password:").unwrap(), b"secret");
        assert!(l.is_complete());
        assert!(l.step(b"again?").is_err());
        assert!(!alloc::format!("{l:?}").contains("secret"));
    }

    #[test]
    fn external_sends_authzid_or_empty() {
        assert_eq!(
            External::new(None).initial_response(None).unwrap().unwrap(),
            b""
        );
        assert_eq!(
            External::new(Some("me"))
                .initial_response(None)
                .unwrap()
                .unwrap(),
            b"me"
        );
        assert!(!External::new(None).sends_plaintext_secret());
    }

    #[test]
    fn login_survives_endless_challenges() {
        let mut l = Login::new("u", "p");
        for _ in 0..300 {
            let _ = l.step(b"again");
        }
        assert!(l.step(b"again").is_err());
        assert!(!l.is_complete());
    }
}
