//! SASL for SMTP AUTH — RFC 4954 §4 (AUTH), RFC 4422 §3 (SASL), RFC 4616 §2 (PLAIN),
//! LOGIN (draft-murchison-sasl-login), RFC 7628 §3 (OAUTHBEARER), XOAUTH2 (Google),
//! RFC 4422 Appendix A (EXTERNAL), RFC 2195 §2 (CRAM-MD5), RFC 5802 §5 / RFC 7677 §3
//! (SCRAM).
//!
//! A [`Mechanism`] answers the server's challenges; the session engine does the
//! base64 and the AUTH/334/235 exchange. Callers may bring their own mechanism.
//!
//! The constructors check their input against the mechanism's framing and return
//! [`SaslError::InvalidInput`] for a value that could not be sent as given (a NUL in
//! a PLAIN password would shift the fields the server reads). Secrets never reach
//! `Debug` output or trace events: a `Debug` impl shows `<redacted>` in their place.

#[cfg(feature = "scram")]
mod cram;
mod oauth;
#[cfg(feature = "scram")]
mod scram;
mod simple;

#[cfg(feature = "scram")]
pub use cram::CramMd5;
pub use oauth::{OAuthBearer, XOAuth2};
#[cfg(feature = "scram")]
pub use scram::{Scram, ScramHash, DEFAULT_SCRAM_ITERATION_CAP, DEFAULT_SCRAM_ITERATION_FLOOR};
pub use simple::{External, Login, Plain};

use alloc::string::String;
use alloc::vec::Vec;

use crate::tls::TlsInfo;

/// Why a SASL exchange failed on the client side.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The server sent a challenge the mechanism cannot take (malformed, or one too many).
    #[error("unexpected or malformed SASL challenge: {0}")]
    BadChallenge(String),
    /// The server's proof did not verify (SCRAM `v=`), or it reported an error (`e=`).
    #[error("server authentication failed: {0}")]
    ServerAuth(String),
    /// The mechanism cannot run here (e.g. `-PLUS` without channel binding data).
    #[error("mechanism unavailable: {0}")]
    Unavailable(String),
    /// The server asked for more iterations than the configured cap, which bounds the
    /// work (PBKDF2 rounds) a server can make the client do.
    #[error("SCRAM iteration count {got} above the cap of {cap}")]
    IterationCap {
        /// Requested by the server.
        got: u32,
        /// The cap.
        cap: u32,
    },
    /// The server asked for fewer iterations than the configured floor: a low count
    /// makes the client proof cheap to brute-force offline (RFC 5802 §5.1, RFC 7677
    /// §4 want at least 4096).
    #[error("SCRAM iteration count {got} below the floor of {floor}")]
    IterationFloor {
        /// Requested by the server.
        got: u32,
        /// The floor.
        floor: u32,
    },
    /// A constructor was given a value the mechanism cannot send as is: a separator
    /// its framing reserves (NUL in PLAIN, `%x01` in OAUTHBEARER), or a character
    /// outside the syntax the RFC allows. Names the field and the rule, never the value.
    #[error("invalid SASL {field}: {reason}")]
    InvalidInput {
        /// The offending field (`password`, `token`, `client nonce`, ...).
        field: &'static str,
        /// What is wrong with it (`contains NUL`, ...).
        reason: &'static str,
    },
}

/// Refuses `value` when it contains one of `forbidden`; the error names `field` and
/// `reason`, never the value (which may be a secret).
pub(super) fn forbid(
    field: &'static str,
    value: &str,
    forbidden: &[char],
    reason: &'static str,
) -> Result<(), SaslError> {
    if value.contains(forbidden) {
        return Err(SaslError::InvalidInput { field, reason });
    }
    Ok(())
}

/// Stands in for a secret in `Debug` output.
pub(super) struct Redacted;

impl core::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A client-side SASL mechanism. The session engine base64-decodes each 334 challenge
/// before `step` and base64-encodes what `step` returns (RFC 4954 §4).
pub trait Mechanism: core::fmt::Debug {
    /// The mechanism name as registered, upper case (`PLAIN`, `SCRAM-SHA-256-PLUS`).
    fn name(&self) -> &str;
    /// True when the mechanism sends reusable secrets readable on the wire (PLAIN,
    /// LOGIN, XOAUTH2, OAUTHBEARER): the engine refuses it without TLS unless allowed.
    fn sends_plaintext_secret(&self) -> bool;
    /// The initial response, computed with the TLS facts (channel binding) if any;
    /// `None` when the mechanism starts without one (LOGIN).
    fn initial_response(&mut self, tls: Option<&TlsInfo>) -> Result<Option<Vec<u8>>, SaslError>;
    /// Answers one decoded challenge. An `Err` makes the engine cancel with `*`
    /// unless [`Mechanism::error_response`] gives another answer.
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError>;
    /// What to send instead of `*` after a failed step: XOAUTH2 answers an error
    /// challenge with an empty line, OAUTHBEARER with `%x01` (RFC 7628 §3.2.3).
    fn error_response(&self) -> Option<Vec<u8>> {
        None
    }
    /// Told the server's AUTH list (after TLS) before `initial_response`, so a
    /// mechanism can adapt; SCRAM uses it to send `y` when `-PLUS` was not offered
    /// although it could bind (RFC 5802 §6). Does nothing by default (so replacing
    /// this default body with `()` is an equivalent mutant).
    fn offered(&mut self, mechanisms: &[String]) {
        let _ = mechanisms;
    }
    /// True when the client side has finished (e.g. SCRAM verified the server
    /// signature); a 235 before that is an authentication error. False again once a
    /// step failed (an error challenge, a bad signature): the mechanism saw the
    /// exchange fail, so no later 235 may count as success.
    fn is_complete(&self) -> bool;
}

#[cfg(test)]
pub(super) mod test_support {
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;
    use base64::Engine as _;

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    /// The first form of `secret` that `debug` shows, if any: the secret itself, its
    /// standard base64 alone or inside a longer message at any offset (the base64 of
    /// every 3-byte-aligned run of it), or its bytes as a `[u8]` list.
    pub(in crate::sasl) fn leak(debug: &str, secret: &[u8]) -> Option<String> {
        let mut needles: Vec<String> = alloc::vec![
            String::from_utf8_lossy(secret).into_owned(),
            B64.encode(secret),
        ];
        for k in 0..3 {
            let full = secret.len().saturating_sub(k) / 3 * 3;
            if full > 0 {
                needles.push(B64.encode(&secret[k..k + full]));
            }
        }
        let list = format!("{secret:?}");
        needles.push(String::from(list.trim_matches(['[', ']'])));
        needles.into_iter().find(|n| debug.contains(n.as_str()))
    }

    /// Fails when `debug` shows `secret` in any form [`leak`] looks for.
    pub(in crate::sasl) fn assert_hides(debug: &str, secret: &[u8], when: &str) {
        if let Some(n) = leak(debug, secret) {
            panic!("{when}: {n:?} shows in {debug}");
        }
    }

    #[test]
    fn leak_finds_every_form() {
        let secret = b"tanstaaftanstaaf";
        assert_eq!(
            leak("Plain { user: \"tim\", password: <redacted> }", secret),
            None
        );
        assert!(leak("x tanstaaftanstaaf y", secret).is_some());
        assert!(leak(
            "[116, 97, 110, 115, 116, 97, 97, 102, 116, 97, 110, 115, 116, 97, 97, 102]",
            secret
        )
        .is_some());
        // The secret base64-encoded after 0, 1 and 2 bytes of other data.
        for prefix in [&b""[..], b"\0", b"\0u"] {
            let message = [prefix, &secret[..], b"\x01"].concat();
            let dump = format!("line: {}", B64.encode(&message));
            assert!(leak(&dump, secret).is_some(), "{dump}");
        }
    }
}
