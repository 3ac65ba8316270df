//! CRAM-MD5 (RFC 2195): `user SP hex(HMAC-MD5(password, challenge))`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::fmt::Write as _;

use hmac::{Hmac, Mac};

use super::{Mechanism, SaslError};
use crate::tls::TlsInfo;

/// CRAM-MD5: the password never crosses the wire, but MD5 is weak; prefer SCRAM.
pub struct CramMd5 {
    user: String,
    password: String,
    done: bool,
}

impl CramMd5 {
    /// CRAM-MD5 for a user and password.
    #[must_use]
    pub fn new(username: &str, password: &str) -> CramMd5 {
        CramMd5 {
            user: username.into(),
            password: password.into(),
            done: false,
        }
    }
}

impl fmt::Debug for CramMd5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CramMd5")
            .field("user", &self.user)
            .finish_non_exhaustive()
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
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2195_example() {
        let mut c = CramMd5::new("tim", "tanstaaftanstaaf");
        assert_eq!(c.initial_response(None).unwrap(), None);
        let r = c
            .step(b"<1896.697170952@postoffice.reston.mci.net>")
            .unwrap();
        assert_eq!(r, b"tim b913a602c7eda7a495b4e6e7334d3890");
        assert!(c.step(b"again").is_err());
    }
}
