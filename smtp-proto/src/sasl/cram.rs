//! RFC 2195 §2 (CRAM-MD5): the one response is `user SP hex(HMAC-MD5(password,
//! challenge))`. The user name goes out as text, so the constructor refuses NUL, CR
//! and LF in it; the password is only an HMAC key and may hold any character.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::fmt::Write as _;

use hmac::{Hmac, Mac};

use super::{forbid, Mechanism, Redacted, SaslError};
use crate::tls::TlsInfo;

/// CRAM-MD5: the password never crosses the wire, but MD5 is weak; prefer SCRAM.
pub struct CramMd5 {
    user: String,
    password: String,
    done: bool,
    /// A second challenge came: the exchange cannot complete.
    failed: bool,
}

impl CramMd5 {
    /// CRAM-MD5 for a user and password. Refuses NUL, CR or LF in the user name with
    /// [`SaslError::InvalidInput`]: servers read the response as one text line (and
    /// often as a C string), so these would cut or split the name.
    pub fn new(username: &str, password: &str) -> Result<CramMd5, SaslError> {
        forbid(
            "username",
            username,
            &['\0', '\r', '\n'],
            "contains NUL, CR or LF",
        )?;
        Ok(CramMd5 {
            user: username.into(),
            password: password.into(),
            done: false,
            failed: false,
        })
    }
}

impl fmt::Debug for CramMd5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CramMd5")
            .field("user", &self.user)
            .field("password", &Redacted)
            .field("done", &self.done)
            .field("failed", &self.failed)
            .finish()
    }
}

impl Mechanism for CramMd5 {
    fn name(&self) -> &str {
        "CRAM-MD5"
    }
    fn sends_plaintext_secret(&self) -> bool {
        false
    }
    fn initial_response(&mut self, _tls: Option<&TlsInfo>) -> Result<Option<Vec<u8>>, SaslError> {
        Ok(None)
    }
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        if self.done {
            self.failed = true;
            return Err(SaslError::BadChallenge(
                "CRAM-MD5 takes one challenge".into(),
            ));
        }
        let mut mac = Hmac::<md5::Md5>::new_from_slice(self.password.as_bytes())
            .map_err(|_| SaslError::Unavailable("HMAC key".into()))?;
        mac.update(challenge);
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(32);
        for b in digest {
            let _ = write!(hex, "{b:02x}");
        }
        self.done = true;
        Ok(format!("{} {hex}", self.user).into_bytes())
    }
    fn is_complete(&self) -> bool {
        self.done && !self.failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sasl::test_support::assert_hides;

    #[test]
    fn rfc2195_example() {
        let mut c = CramMd5::new("tim", "tanstaaftanstaaf").unwrap();
        assert_eq!(c.initial_response(None).unwrap(), None);
        let r = c
            .step(b"<1896.697170952@postoffice.reston.mci.net>")
            .unwrap();
        assert_eq!(r, b"tim b913a602c7eda7a495b4e6e7334d3890");
        assert!(c.is_complete());
        assert!(c.step(b"again").is_err());
        assert!(!c.is_complete(), "a second challenge un-completes");
    }

    #[test]
    fn cram_md5_sends_no_reusable_secret() {
        // The password never leaves: only its keyed digest of the challenge.
        assert!(!CramMd5::new("tim", "tanstaaf")
            .unwrap()
            .sends_plaintext_secret());
    }

    #[test]
    fn username_with_nul_cr_or_lf_is_refused() {
        for user in ["tim\0", "tim\r", "ti\nm"] {
            assert_eq!(
                CramMd5::new(user, "pw").unwrap_err(),
                SaslError::InvalidInput {
                    field: "username",
                    reason: "contains NUL, CR or LF"
                },
                "{user:?}"
            );
        }
        // The password is only an HMAC key: anything goes.
        assert!(CramMd5::new("tim", "p\0\r\n").is_ok());
    }

    #[test]
    fn debug_hides_the_password_at_every_step() {
        const PW: &[u8] = b"tanstaaftanstaaf";
        let mut c = CramMd5::new("tim", "tanstaaftanstaaf").unwrap();
        assert_hides(&format!("{c:?}"), PW, "new");
        c.initial_response(None).unwrap();
        assert_hides(&format!("{c:?}"), PW, "initial response");
        c.step(b"<1896.697170952@postoffice.reston.mci.net>")
            .unwrap();
        assert_hides(&format!("{c:?}"), PW, "answered");
        assert!(c.step(b"again").is_err());
        assert_hides(&format!("{c:?}"), PW, "extra challenge");
        assert!(format!("{c:?}").contains("<redacted>"));
    }
}
