//! RFC 4616 §2 (PLAIN), draft-murchison-sasl-login (LOGIN) and RFC 4422 Appendix A
//! (EXTERNAL): the mechanisms that send their identities as they are.
//!
//! Each constructor refuses a NUL in any field. PLAIN uses NUL as its separator, so a
//! NUL inside a field would make a message such as `\0alice\0admin\0pw`, which a
//! server splits into other identities than the caller meant; LOGIN sends each field
//! as its own response, but servers commonly read that response as a C string and
//! would cut it at the NUL; EXTERNAL's authzid is defined without NUL.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{forbid, Mechanism, Redacted, SaslError};
use crate::tls::TlsInfo;

/// NUL, the one character no field of PLAIN, LOGIN or EXTERNAL may hold.
const NUL: &[char] = &['\0'];

/// PLAIN: `authzid NUL user NUL password` as the initial response (RFC 4616 §2).
pub struct Plain {
    message: Vec<u8>,
    user: String,
    sent: bool,
    /// A challenge came that PLAIN cannot answer: the exchange cannot complete.
    failed: bool,
}

impl Plain {
    /// PLAIN with an optional authorization identity. Refuses a NUL in any of the
    /// three fields with [`SaslError::InvalidInput`]: NUL separates them on the wire,
    /// so a NUL inside one would change which identity the server reads.
    pub fn new(authzid: Option<&str>, username: &str, password: &str) -> Result<Plain, SaslError> {
        // RFC 4616 §2: authzid, authcid and passwd are made of SAFE, which excludes NUL.
        if let Some(a) = authzid {
            forbid("authzid", a, NUL, "contains NUL")?;
        }
        forbid("username", username, NUL, "contains NUL")?;
        forbid("password", password, NUL, "contains NUL")?;
        let mut message = Vec::new();
        message.extend_from_slice(authzid.unwrap_or("").as_bytes());
        message.push(0);
        message.extend_from_slice(username.as_bytes());
        message.push(0);
        message.extend_from_slice(password.as_bytes());
        Ok(Plain {
            message,
            user: username.into(),
            sent: false,
            failed: false,
        })
    }
}

impl fmt::Debug for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plain")
            .field("user", &self.user)
            .field("password", &Redacted)
            .field("sent", &self.sent)
            .field("failed", &self.failed)
            .finish()
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
        self.failed = true;
        Err(SaslError::BadChallenge("PLAIN takes no challenge".into()))
    }
    fn is_complete(&self) -> bool {
        self.sent && !self.failed
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
    /// LOGIN with a user name and password. Refuses a NUL in either with
    /// [`SaslError::InvalidInput`]: servers commonly read each answer as a C string,
    /// so a NUL would silently cut it short. CR and LF are allowed: each answer is
    /// base64-encoded on its own line, so they cannot break the framing.
    pub fn new(username: &str, password: &str) -> Result<Login, SaslError> {
        forbid("username", username, NUL, "contains NUL")?;
        forbid("password", password, NUL, "contains NUL")?;
        Ok(Login {
            user: username.into(),
            password: password.into(),
            answered: 0,
        })
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("password", &Redacted)
            .field("answered", &self.answered)
            .finish()
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
        Ok(None) // LOGIN starts with the server's first challenge, never an initial response.
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
/// It holds no secret, so its `Debug` shows everything.
#[derive(Debug)]
pub struct External {
    authzid: String,
    sent: bool,
    /// A challenge came that EXTERNAL cannot answer: the exchange cannot complete.
    failed: bool,
}

impl External {
    /// EXTERNAL with an optional authorization identity. Refuses a NUL in it with
    /// [`SaslError::InvalidInput`].
    pub fn new(authzid: Option<&str>) -> Result<External, SaslError> {
        // RFC 4422 Appendix A.1: authz-id-string is 1*( %x01-7F / UTF8-2 / UTF8-3 / UTF8-4 ).
        let authzid = authzid.unwrap_or("");
        forbid("authzid", authzid, NUL, "contains NUL")?;
        Ok(External {
            authzid: authzid.into(),
            sent: false,
            failed: false,
        })
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
        self.failed = true;
        Err(SaslError::BadChallenge(
            "EXTERNAL takes no challenge".into(),
        ))
    }
    fn is_complete(&self) -> bool {
        self.sent && !self.failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sasl::test_support::assert_hides;

    #[test]
    fn login_sends_a_reusable_secret_and_shows_its_user_only() {
        let l = Login::new("tim", "tanstaaf").unwrap();
        assert!(l.sends_plaintext_secret());
        let shown = format!("{l:?}");
        assert!(
            shown.starts_with("Login {") && shown.contains("\"tim\""),
            "{shown}"
        );
        assert!(!shown.contains("tanstaaf"), "{shown}");
    }

    #[test]
    fn external_answers_an_empty_challenge_once_when_no_initial_response_went() {
        // A server may ask with an empty 334 instead of taking an initial response.
        let mut e = External::new(Some("admin")).unwrap();
        assert!(!e.is_complete());
        assert_eq!(e.step(b"").unwrap(), b"admin");
        assert!(e.is_complete());
        assert!(e.step(b"").is_err(), "a second challenge");
        assert!(!e.is_complete());
        let mut busy = External::new(None).unwrap();
        assert!(busy.step(b"not empty").is_err());
        assert!(!busy.is_complete());
        let mut sent = External::new(None).unwrap();
        assert_eq!(sent.initial_response(None).unwrap(), Some(Vec::new()));
        assert!(sent.is_complete());
        assert!(
            sent.step(b"").is_err(),
            "no challenge after the initial response"
        );
    }

    #[test]
    fn plain_message_and_no_second_step() {
        let mut p = Plain::new(Some("admin"), "tim", "tanstaaf").unwrap();
        assert_eq!(
            p.initial_response(None).unwrap().unwrap(),
            b"admin\0tim\0tanstaaf"
        );
        assert!(p.is_complete());
        assert!(p.step(b"").is_err());
        assert!(!alloc::format!("{p:?}").contains("tanstaaf"));
        let mut q = Plain::new(None, "u", "p").unwrap();
        assert_eq!(
            q.step(b"").unwrap(),
            b"\0u\0p",
            "response after an empty 334"
        );
    }

    #[test]
    fn login_answers_two_challenges_whatever_their_text() {
        let mut l = Login::new("user", "secret").unwrap();
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
            External::new(None)
                .unwrap()
                .initial_response(None)
                .unwrap()
                .unwrap(),
            b""
        );
        assert_eq!(
            External::new(Some("me"))
                .unwrap()
                .initial_response(None)
                .unwrap()
                .unwrap(),
            b"me"
        );
        assert!(!External::new(None).unwrap().sends_plaintext_secret());
    }

    #[test]
    fn login_survives_endless_challenges() {
        let mut l = Login::new("u", "p").unwrap();
        for _ in 0..300 {
            let _ = l.step(b"again");
        }
        assert!(l.step(b"again").is_err());
        assert!(!l.is_complete());
    }

    fn invalid(field: &'static str) -> SaslError {
        SaslError::InvalidInput {
            field,
            reason: "contains NUL",
        }
    }

    #[test]
    fn plain_refuses_nul_in_every_field() {
        // RFC 4616 §2: with a NUL inside a field, `\0alice\0admin\0pw` could be read as
        // another authzid/authcid split.
        assert_eq!(
            Plain::new(None, "alice\0admin", "pw").unwrap_err(),
            invalid("username")
        );
        assert_eq!(
            Plain::new(None, "alice", "pw\0x").unwrap_err(),
            invalid("password")
        );
        assert_eq!(
            Plain::new(Some("\0alice"), "admin", "pw").unwrap_err(),
            invalid("authzid")
        );
        let err = Plain::new(None, "u", "hunter2\0").unwrap_err();
        assert!(!alloc::format!("{err} {err:?}").contains("hunter2"));
        assert!(Plain::new(Some(""), "u", "p").is_ok());
    }

    #[test]
    fn login_refuses_nul_but_takes_cr_lf() {
        assert_eq!(Login::new("u\0v", "p").unwrap_err(), invalid("username"));
        assert_eq!(Login::new("u", "p\0").unwrap_err(), invalid("password"));
        // Each answer is base64 on its own line: CR and LF cannot break the framing.
        let mut l = Login::new("u\r\n", "p\r\n").unwrap();
        assert_eq!(l.step(b"Username:").unwrap(), b"u\r\n");
    }

    #[test]
    fn external_refuses_nul_in_the_authzid() {
        assert_eq!(
            External::new(Some("me\0you")).unwrap_err(),
            invalid("authzid")
        );
    }

    #[test]
    fn plain_debug_hides_the_password_at_every_step() {
        const PW: &[u8] = b"tanstaaftanstaaf";
        let mut p = Plain::new(Some("admin"), "tim", "tanstaaftanstaaf").unwrap();
        assert_hides(&alloc::format!("{p:?}"), PW, "new");
        p.initial_response(None).unwrap();
        assert_hides(&alloc::format!("{p:?}"), PW, "initial response");
        assert!(p.step(b"").is_err());
        assert_hides(&alloc::format!("{p:?}"), PW, "extra challenge");
        // Sent after an empty 334 instead.
        let mut q = Plain::new(None, "tim", "tanstaaftanstaaf").unwrap();
        q.step(b"").unwrap();
        assert_hides(&alloc::format!("{q:?}"), PW, "after empty 334");
        assert!(alloc::format!("{q:?}").contains("<redacted>"));
    }

    #[test]
    fn login_debug_hides_the_password_at_every_step() {
        const PW: &[u8] = b"tanstaaftanstaaf";
        let mut l = Login::new("tim", "tanstaaftanstaaf").unwrap();
        assert_hides(&alloc::format!("{l:?}"), PW, "new");
        l.initial_response(None).unwrap();
        assert_hides(&alloc::format!("{l:?}"), PW, "initial response");
        l.step(b"Username:").unwrap();
        assert_hides(&alloc::format!("{l:?}"), PW, "user sent");
        l.step(b"Password:").unwrap();
        assert_hides(&alloc::format!("{l:?}"), PW, "password sent");
        assert!(l.step(b"again").is_err());
        assert_hides(&alloc::format!("{l:?}"), PW, "extra challenge");
    }

    #[test]
    fn a_challenge_too_many_un_completes() {
        let mut p = Plain::new(None, "u", "p").unwrap();
        p.initial_response(None).unwrap();
        assert!(p.is_complete());
        assert!(p.step(b"more?").is_err());
        assert!(!p.is_complete(), "PLAIN saw the exchange go wrong");
        let mut e = External::new(None).unwrap();
        e.initial_response(None).unwrap();
        assert!(e.is_complete());
        assert!(e.step(b"more?").is_err());
        assert!(!e.is_complete(), "EXTERNAL saw the exchange go wrong");
    }
}
