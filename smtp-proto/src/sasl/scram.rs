//! RFC 5802 §5 (the SCRAM exchange), §5.1 (attributes), §6 (channel binding) and §7
//! (syntax), RFC 7677 §3 (SCRAM-SHA-256), RFC 5929 / RFC 9266 (channel binding
//! types): SCRAM-SHA-1 and SCRAM-SHA-256, with and without `-PLUS`.
//!
//! The client nonce comes from the caller (the core has no randomness) and must be
//! printable without `,`; the user name and authzid must hold no NUL. The server's
//! iteration count must lie between a floor (default 4096, RFC 5802 §5.1 and RFC
//! 7677 §4: fewer makes the proof cheap to brute-force offline) and a cap (default
//! 100 000, bounding the work a server can ask for); see
//! [`Scram::with_iteration_bounds`].

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;
use core::fmt;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::oauth::gs2_escape;
use super::{forbid, Mechanism, Redacted, SaslError};
use crate::tls::TlsInfo;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Default cap on the server's PBKDF2 iteration count: more is refused with
/// [`SaslError::IterationCap`], so a server cannot make the client burn CPU.
pub const DEFAULT_SCRAM_ITERATION_CAP: u32 = 100_000;

/// Default floor on the server's PBKDF2 iteration count: fewer is refused with
/// [`SaslError::IterationFloor`]. A low count (say `i=1`) would hand a hostile server
/// a client proof it can brute-force offline; RFC 5802 §5.1 and RFC 7677 §4 ask for
/// at least 4096.
pub const DEFAULT_SCRAM_ITERATION_FLOOR: u32 = 4096;

/// The SCRAM hash function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScramHash {
    /// SCRAM-SHA-1 (RFC 5802)
    Sha1,
    /// SCRAM-SHA-256 (RFC 7677)
    Sha256,
}

impl ScramHash {
    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => {
                let mut m = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length");
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            ScramHash::Sha256 => {
                let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => Sha1::digest(data).to_vec(),
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    /// Hi() of RFC 5802 §2.2: PBKDF2 with HMAC.
    fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => {
                pbkdf2::pbkdf2_hmac_array::<Sha1, 20>(password, salt, iterations).to_vec()
            }
            ScramHash::Sha256 => {
                pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password, salt, iterations).to_vec()
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Stage {
    Start,
    SentFirst,
    SentFinal,
    Done,
    /// A step failed: every further challenge is refused.
    Failed,
}

/// A SCRAM client (RFC 5802 §5).
pub struct Scram {
    hash: ScramHash,
    plus: bool,
    server_supports_plus: Option<bool>,
    name: String,
    authzid: Option<String>,
    user: String,
    password: String,
    nonce: String,
    floor: u32,
    cap: u32,
    stage: Stage,
    gs2_header: String,
    cbind_data: Vec<u8>,
    client_first_bare: String,
    server_signature: Vec<u8>,
}

impl Scram {
    /// A SCRAM client accepting iteration counts from
    /// [`DEFAULT_SCRAM_ITERATION_FLOOR`] to [`DEFAULT_SCRAM_ITERATION_CAP`] (change
    /// them with [`Scram::with_iteration_bounds`]). `client_nonce` must be fresh and
    /// unpredictable. Refuses, with [`SaslError::InvalidInput`], an empty nonce or one
    /// holding `,` or a character outside `%x21-7E`, and a NUL in the user name or
    /// authzid; `=` and `,` in those are escaped as `=3D` and `=2C` on the wire.
    pub fn new(
        hash: ScramHash,
        plus: bool,
        authzid: Option<&str>,
        username: &str,
        password: &str,
        client_nonce: &str,
    ) -> Result<Scram, SaslError> {
        // RFC 5802 §7: c-nonce = printable, printable = %x21-2B / %x2D-7E (1 or more).
        if client_nonce.is_empty() {
            return Err(SaslError::InvalidInput {
                field: "client nonce",
                reason: "empty",
            });
        }
        if !client_nonce
            .bytes()
            .all(|b| matches!(b, 0x21..=0x2b | 0x2d..=0x7e))
        {
            return Err(SaslError::InvalidInput {
                field: "client nonce",
                reason: "holds ',' or a character outside %x21-7E",
            });
        }
        // RFC 5802 §7: saslname's value-safe-char excludes NUL (`,` and `=` are escaped).
        forbid("username", username, &['\0'], "contains NUL")?;
        if let Some(a) = authzid {
            forbid("authzid", a, &['\0'], "contains NUL")?;
        }
        let base = match hash {
            ScramHash::Sha1 => "SCRAM-SHA-1",
            ScramHash::Sha256 => "SCRAM-SHA-256",
        };
        Ok(Scram {
            hash,
            plus,
            server_supports_plus: None,
            name: if plus {
                format!("{base}-PLUS")
            } else {
                base.into()
            },
            authzid: authzid.map(String::from),
            user: username.into(),
            password: password.into(),
            nonce: client_nonce.into(),
            floor: DEFAULT_SCRAM_ITERATION_FLOOR,
            cap: DEFAULT_SCRAM_ITERATION_CAP,
            stage: Stage::Start,
            gs2_header: String::new(),
            cbind_data: Vec::new(),
            client_first_bare: String::new(),
            server_signature: Vec::new(),
        })
    }

    /// Sets the range of iteration counts the client accepts from the server: fewer
    /// than `floor` fails the step with [`SaslError::IterationFloor`], more than
    /// `cap` with [`SaslError::IterationCap`] (either way the engine cancels with
    /// `*`). Lower the floor below [`DEFAULT_SCRAM_ITERATION_FLOOR`] only for a
    /// server known to use fewer rounds. A `floor` above `cap` would refuse every
    /// server, so it is refused with [`SaslError::InvalidInput`].
    pub fn with_iteration_bounds(mut self, floor: u32, cap: u32) -> Result<Scram, SaslError> {
        if floor > cap {
            return Err(SaslError::InvalidInput {
                field: "iteration bounds",
                reason: "floor above cap",
            });
        }
        self.floor = floor;
        self.cap = cap;
        Ok(self)
    }

    /// Tells a non-`-PLUS` client whether the server advertised the `-PLUS` variant.
    /// When it did not and TLS channel binding data is available, the GS2 header
    /// says `y` ("I could bind, I think you cannot"), so that a server that does
    /// support binding detects a stripped `-PLUS` (RFC 5802 §6). Unset, or set to
    /// true, the header says `n`. No effect on a `-PLUS` client, which sends `p`.
    pub fn set_server_supports_plus(&mut self, advertised: bool) {
        self.server_supports_plus = Some(advertised);
    }

    fn server_first(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        let text = core::str::from_utf8(challenge).map_err(|_| bad("server-first is not UTF-8"))?;
        let (mut r, mut s, mut i) = (None, None, None);
        for (n, attr) in text.split(',').enumerate() {
            match attr.split_at_checked(2) {
                Some(("m=", _)) if n == 0 => {
                    return Err(bad("mandatory extension m= not supported"))
                }
                Some(("r=", v)) => r = Some(v),
                Some(("s=", v)) => s = Some(v),
                Some(("i=", v)) => i = Some(v),
                Some(("e=", v)) => return Err(SaslError::ServerAuth(v.into())),
                _ => {}
            }
        }
        let r = r.ok_or_else(|| bad("server-first without r="))?;
        if !r.starts_with(&self.nonce) || r.len() == self.nonce.len() {
            return Err(bad("server nonce does not extend ours"));
        }
        let salt = B64
            .decode(s.ok_or_else(|| bad("server-first without s="))?)
            .map_err(|_| bad("salt is not base64"))?;
        if salt.is_empty() {
            return Err(bad("empty salt"));
        }
        let iterations = parse_iteration_count(i.ok_or_else(|| bad("server-first without i="))?)
            .ok_or_else(|| bad("i= is not a positive integer"))?;
        // RFC 5802 §5.1, RFC 7677 §4: at least 4096 rounds unless the caller lowered it.
        if iterations < self.floor {
            return Err(SaslError::IterationFloor {
                got: iterations,
                floor: self.floor,
            });
        }
        if iterations > self.cap {
            return Err(SaslError::IterationCap {
                got: iterations,
                cap: self.cap,
            });
        }
        let mut cbind = self.gs2_header.as_bytes().to_vec();
        cbind.extend_from_slice(&self.cbind_data);
        let without_proof = format!("c={},r={r}", B64.encode(&cbind));
        let auth_message = format!("{},{text},{without_proof}", self.client_first_bare);
        let h = self.hash;
        let salted = h.hi(self.password.as_bytes(), &salt, iterations);
        let client_key = h.hmac(&salted, b"Client Key");
        let stored_key = h.hash(&client_key);
        let signature = h.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = h.hmac(&salted, b"Server Key");
        self.server_signature = h.hmac(&server_key, auth_message.as_bytes());
        self.stage = Stage::SentFinal;
        Ok(format!("{without_proof},p={}", B64.encode(proof)).into_bytes())
    }

    fn server_final(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        let text = core::str::from_utf8(challenge).map_err(|_| bad("server-final is not UTF-8"))?;
        if let Some(e) = text.strip_prefix("e=") {
            return Err(SaslError::ServerAuth(e.into()));
        }
        let v = text
            .split(',')
            .next()
            .and_then(|a| a.strip_prefix("v="))
            .ok_or_else(|| bad("server-final without v="))?;
        let got = B64.decode(v).map_err(|_| bad("v= is not base64"))?;
        // RFC 5802 §5: v= must equal ServerSignature. Compared without an early exit
        // so the time taken does not tell a forger how many leading bytes matched.
        if !constant_time_eq(&got, &self.server_signature) {
            return Err(SaslError::ServerAuth(
                "server signature does not verify".into(),
            ));
        }
        self.stage = Stage::Done;
        Ok(Vec::new())
    }
}

/// RFC 5802 §7 `posit-number = %x31-39 *DIGIT` (so no `0`, `+5` or `007`). A number
/// too large for `u32` saturates to `u32::MAX`, so the cap check reports it.
fn parse_iteration_count(s: &str) -> Option<u32> {
    let bytes = s.as_bytes();
    let first = *bytes.first()?;
    if !(b'1'..=b'9').contains(&first) || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.parse::<u32>().unwrap_or(u32::MAX))
}

/// True when `a` and `b` are equal, comparing every byte whatever the first
/// difference (xor-accumulate); a length mismatch is unequal. The lengths are not
/// secret (a SHA-1 or SHA-256 output), so that early exit leaks nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keeps the optimiser from turning the fold back into a short-circuit compare.
    core::hint::black_box(diff) == 0
}

fn bad(what: &str) -> SaslError {
    SaslError::BadChallenge(what.into())
}

impl fmt::Debug for Scram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password, and everything derived from it or from the nonce (the
        // client-first message, the expected server signature), stay out.
        f.debug_struct("Scram")
            .field("name", &self.name)
            .field("authzid", &self.authzid)
            .field("user", &self.user)
            .field("password", &Redacted)
            .field("stage", &self.stage)
            .field("iteration_floor", &self.floor)
            .field("iteration_cap", &self.cap)
            .finish_non_exhaustive()
    }
}

impl Mechanism for Scram {
    fn name(&self) -> &str {
        &self.name
    }
    fn sends_plaintext_secret(&self) -> bool {
        false
    }
    fn initial_response(&mut self, tls: Option<&TlsInfo>) -> Result<Option<Vec<u8>>, SaslError> {
        let authz = self
            .authzid
            .as_deref()
            .map(|a| format!("a={}", gs2_escape(a)))
            .unwrap_or_default();
        if self.plus {
            let cb = tls
                .and_then(|t| t.channel_binding.as_ref())
                .ok_or_else(|| {
                    SaslError::Unavailable("-PLUS needs channel binding data from TLS".into())
                })?;
            self.gs2_header = format!("p={},{authz},", cb.kind.as_str());
            self.cbind_data = cb.data.clone();
        } else {
            // RFC 5802 §6: "y" when we could bind but the server did not advertise
            // -PLUS (downgrade detection), else "n".
            let can_bind = tls.is_some_and(|t| t.channel_binding.is_some());
            let flag = if can_bind && self.server_supports_plus == Some(false) {
                'y'
            } else {
                'n'
            };
            self.gs2_header = format!("{flag},{authz},");
        }
        self.client_first_bare = format!("n={},r={}", gs2_escape(&self.user), self.nonce);
        self.stage = Stage::SentFirst;
        Ok(Some(
            format!("{}{}", self.gs2_header, self.client_first_bare).into_bytes(),
        ))
    }
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        let result = match self.stage {
            Stage::SentFirst => self.server_first(challenge),
            Stage::SentFinal => self.server_final(challenge),
            Stage::Start | Stage::Done | Stage::Failed => Err(bad("unexpected challenge")),
        };
        if result.is_err() {
            // A failed exchange stays failed: no later v= can complete it, and a
            // challenge after completion un-completes it.
            self.stage = Stage::Failed;
        }
        result
    }
    fn offered(&mut self, mechanisms: &[String]) {
        if !self.plus {
            let plus = format!("{}-PLUS", self.name);
            self.set_server_supports_plus(mechanisms.iter().any(|m| m.eq_ignore_ascii_case(&plus)));
        }
    }
    fn is_complete(&self) -> bool {
        self.stage == Stage::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sasl::test_support::assert_hides;
    use crate::tls::{ChannelBinding, ChannelBindingKind};

    fn rfc5802() -> Scram {
        Scram::new(
            ScramHash::Sha1,
            false,
            None,
            "user",
            "pencil",
            "fyko+d2lbbFgONRv9qkxdawL",
        )
        .unwrap()
    }

    const FIRST_1: &[u8] =
        b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";

    #[test]
    fn rfc5802_sha1_example() {
        let mut s = rfc5802();
        assert_eq!(
            s.initial_response(None).unwrap().unwrap(),
            b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
        );
        let fin = s.step(FIRST_1).unwrap();
        assert_eq!(
            fin,
            b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
        );
        assert!(!s.is_complete());
        assert_eq!(s.step(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").unwrap(), b"");
        assert!(s.is_complete());
        assert!(
            s.step(b"v=again").is_err(),
            "a challenge after the last step"
        );
        assert!(
            !s.is_complete(),
            "a challenge after completion un-completes"
        );
    }

    #[test]
    fn failed_step_cannot_be_completed_later() {
        let mut s = rfc5802();
        s.initial_response(None).unwrap();
        s.step(FIRST_1).unwrap();
        assert!(s.step(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=").is_err());
        assert!(s.step(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").is_err());
        assert!(!s.is_complete());
    }

    #[test]
    fn overflowing_iteration_count_hits_the_cap() {
        let mut s = rfc5802();
        s.initial_response(None).unwrap();
        assert_eq!(
            s.step(b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=99999999999"),
            Err(SaslError::IterationCap {
                got: u32::MAX,
                cap: DEFAULT_SCRAM_ITERATION_CAP
            })
        );
    }

    fn exporter(data: &[u8]) -> TlsInfo {
        TlsInfo {
            channel_binding: Some(ChannelBinding {
                kind: ChannelBindingKind::TlsExporter,
                data: data.to_vec(),
            }),
            ..TlsInfo::default()
        }
    }

    #[test]
    fn offered_list_decides_the_y_flag() {
        let mut s = rfc5802();
        s.offered(&["SCRAM-SHA-1".into()]);
        assert!(s
            .initial_response(Some(&exporter(&[7; 32])))
            .unwrap()
            .unwrap()
            .starts_with(b"y,,"));
        let mut s = rfc5802();
        s.offered(&["SCRAM-SHA-1".into(), "SCRAM-SHA-1-PLUS".into()]);
        assert!(s
            .initial_response(Some(&exporter(&[7; 32])))
            .unwrap()
            .unwrap()
            .starts_with(b"n,,"));
    }

    #[test]
    fn y_flag_when_binding_possible_but_plus_not_advertised() {
        let mut s = rfc5802();
        s.set_server_supports_plus(false);
        assert_eq!(
            s.initial_response(Some(&exporter(&[7; 32])))
                .unwrap()
                .unwrap(),
            b"y,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
        );
        // c= carries the header only: base64("y,,") = "eSws".
        assert!(s.step(FIRST_1).unwrap().starts_with(b"c=eSws,r="));
        // Without binding data, or with the flag unset, the header stays "n".
        let mut s = rfc5802();
        s.set_server_supports_plus(false);
        assert!(s
            .initial_response(Some(&TlsInfo::default()))
            .unwrap()
            .unwrap()
            .starts_with(b"n,,"));
        let mut s = rfc5802();
        assert!(s
            .initial_response(Some(&exporter(&[7; 32])))
            .unwrap()
            .unwrap()
            .starts_with(b"n,,"));
    }

    #[test]
    fn plus_full_exchange_matches_independent_computation() {
        // Expected values computed with Python's hashlib/hmac for RFC 7677's inputs
        // with 32 bytes 0..=31 of tls-exporter data.
        let data: Vec<u8> = (0u8..32).collect();
        let mut s = Scram::new(
            ScramHash::Sha256,
            true,
            None,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        )
        .unwrap();
        s.initial_response(Some(&exporter(&data))).unwrap();
        assert_eq!(
            s.step(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096").unwrap(),
            b"c=cD10bHMtZXhwb3J0ZXIsLAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=QC6CS20quADQRb3mT99YUH+n3VJxUvzuK0K0E1Vrs2M="
        );
        assert_eq!(
            s.step(b"v=2GiAgapEppLVlUXbxUDksL3VgYHzuqiK5tR4mhJGgvs=")
                .unwrap(),
            b""
        );
        assert!(s.is_complete());
    }

    #[test]
    fn rfc7677_sha256_example() {
        let mut s = Scram::new(
            ScramHash::Sha256,
            false,
            None,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        )
        .unwrap();
        assert_eq!(
            s.initial_response(None).unwrap().unwrap(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let fin = s.step(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096").unwrap();
        assert_eq!(
            fin,
            b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        s.step(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        assert!(s.is_complete());
    }

    #[test]
    fn bad_server_signature_and_server_error() {
        let mut s = rfc5802();
        s.initial_response(None).unwrap();
        s.step(FIRST_1).unwrap();
        assert!(matches!(
            s.step(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            Err(SaslError::ServerAuth(_))
        ));
        assert!(!s.is_complete());
        let mut e = rfc5802();
        e.initial_response(None).unwrap();
        e.step(FIRST_1).unwrap();
        assert_eq!(
            e.step(b"e=invalid-proof"),
            Err(SaslError::ServerAuth("invalid-proof".into()))
        );
    }

    #[test]
    fn helpers_at_their_edges() {
        assert_eq!(parse_iteration_count("4096"), Some(4096));
        for bad in ["1x", "007", "0", "", "+5"] {
            assert_eq!(parse_iteration_count(bad), None, "{bad:?}");
        }
        assert_eq!(parse_iteration_count("99999999999"), Some(u32::MAX));
        // Two differences that would cancel under xor still differ.
        assert!(!constant_time_eq(&[1, 1], &[0, 0]));
        assert!(constant_time_eq(&[7, 8], &[7, 8]));
        assert!(!constant_time_eq(&[7], &[7, 8]));
        assert!(
            !rfc5802().sends_plaintext_secret(),
            "SCRAM sends proofs, not the password"
        );
    }

    #[test]
    fn server_first_attributes_in_their_places() {
        let first = |text: &[u8], bounds: Option<(u32, u32)>| {
            let mut s = rfc5802();
            if let Some((floor, cap)) = bounds {
                s = s.with_iteration_bounds(floor, cap).unwrap();
            }
            s.initial_response(None).unwrap();
            s.step(text)
        };
        // A mandatory extension is refused first, and only in the first place.
        let m_first =
            b"m=ext,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
        assert!(
            matches!(first(m_first, None), Err(SaslError::BadChallenge(why)) if why.contains("m="))
        );
        let m_later =
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,m=ext,s=QSXCR+Q6sek8bf92,i=4096";
        assert!(
            first(m_later, None).is_ok(),
            "an m= elsewhere is an ordinary attribute"
        );
        // The server's error attribute is its refusal.
        assert_eq!(
            first(b"e=unknown-user", None),
            Err(SaslError::ServerAuth("unknown-user".into()))
        );
        // The iteration cap is inclusive.
        assert!(first(FIRST_1, Some((1024, 4096))).is_ok());
    }

    #[test]
    fn server_first_is_checked() {
        for (first, why) in [
            (
                &b"r=someoneelse,s=QSXCR+Q6sek8bf92,i=4096"[..],
                "foreign nonce",
            ),
            (
                b"r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096",
                "nonce not extended",
            ),
            (b"r=fyko+d2lbbFgONRv9qkxdawLx,i=4096", "no salt"),
            (
                b"r=fyko+d2lbbFgONRv9qkxdawLx,s=!!!,i=4096",
                "salt not base64",
            ),
            (b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92", "no i"),
            (b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=0", "i=0"),
            (
                b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=+5",
                "i=+5",
            ),
            (
                b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=-1",
                "i=-1",
            ),
            (b"r=fyko+d2lbbFgONRv9qkxdawLx,s=,i=4096", "empty salt"),
            (
                b"m=ext,r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=1",
                "mandatory extension",
            ),
        ] {
            let mut s = rfc5802();
            s.initial_response(None).unwrap();
            assert!(s.step(first).is_err(), "{why}");
        }
        let mut s = rfc5802().with_iteration_bounds(1024, 4095).unwrap();
        s.initial_response(None).unwrap();
        assert_eq!(
            s.step(FIRST_1),
            Err(SaslError::IterationCap {
                got: 4096,
                cap: 4095
            })
        );
    }

    #[test]
    fn plus_binds_the_tls_channel() {
        let mut s = Scram::new(ScramHash::Sha256, true, None, "user", "pencil", "abc").unwrap();
        assert_eq!(s.name(), "SCRAM-SHA-256-PLUS");
        assert!(matches!(
            s.initial_response(None),
            Err(SaslError::Unavailable(_))
        ));
        let tls = TlsInfo {
            channel_binding: Some(ChannelBinding {
                kind: ChannelBindingKind::TlsExporter,
                data: alloc::vec![1, 2, 3],
            }),
            ..TlsInfo::default()
        };
        assert_eq!(
            s.initial_response(Some(&tls)).unwrap().unwrap(),
            b"p=tls-exporter,,n=user,r=abc"
        );
        let fin =
            String::from_utf8(s.step(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=4096").unwrap()).unwrap();
        let mut expect = b"p=tls-exporter,,".to_vec();
        expect.extend_from_slice(&[1, 2, 3]);
        assert!(
            fin.starts_with(&format!("c={},", B64.encode(expect))),
            "{fin}"
        );
    }

    #[test]
    fn username_and_authzid_are_escaped_and_debug_hides_password() {
        let mut s = Scram::new(ScramHash::Sha1, false, Some("a=b"), "u,v", "pencil", "n").unwrap();
        assert_eq!(
            s.initial_response(None).unwrap().unwrap(),
            b"n,a=a=3Db,n=u=2Cv,r=n"
        );
        assert!(!format!("{s:?}").contains("pencil"));
    }

    #[test]
    fn iteration_count_below_the_floor_is_refused() {
        // `i=1` would give a hostile server a proof it can brute-force offline.
        for (i, got) in [("1", 1), ("4095", 4095)] {
            let mut s = rfc5802();
            s.initial_response(None).unwrap();
            let first = format!("r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i={i}");
            assert_eq!(
                s.step(first.as_bytes()),
                Err(SaslError::IterationFloor {
                    got,
                    floor: DEFAULT_SCRAM_ITERATION_FLOOR
                })
            );
            assert!(!s.is_complete());
        }
        // A lowered floor lets a known low-count server through.
        let mut s = rfc5802().with_iteration_bounds(1, 100).unwrap();
        s.initial_response(None).unwrap();
        assert!(s
            .step(b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=1")
            .is_ok());
        let mut s = rfc5802().with_iteration_bounds(4097, 5000).unwrap();
        s.initial_response(None).unwrap();
        assert_eq!(
            s.step(FIRST_1),
            Err(SaslError::IterationFloor {
                got: 4096,
                floor: 4097
            })
        );
    }

    #[test]
    fn iteration_bounds_must_be_ordered() {
        assert_eq!(
            rfc5802().with_iteration_bounds(5000, 4096).unwrap_err(),
            SaslError::InvalidInput {
                field: "iteration bounds",
                reason: "floor above cap"
            }
        );
        assert!(rfc5802().with_iteration_bounds(4096, 4096).is_ok());
    }

    #[test]
    fn client_nonce_must_be_printable_without_comma() {
        let new = |nonce: &str| Scram::new(ScramHash::Sha256, false, None, "u", "p", nonce);
        assert_eq!(
            new("").unwrap_err(),
            SaslError::InvalidInput {
                field: "client nonce",
                reason: "empty"
            }
        );
        let bad = SaslError::InvalidInput {
            field: "client nonce",
            reason: "holds ',' or a character outside %x21-7E",
        };
        for nonce in ["a,b", "a b", "a\x7f", "a\0", "a\r\n", "é"] {
            assert_eq!(new(nonce).unwrap_err(), bad, "{nonce:?}");
        }
        // The whole printable range but `,`.
        let all: String = (0x21u8..=0x7e)
            .filter(|&b| b != b',')
            .map(char::from)
            .collect();
        assert!(new(&all).is_ok());
    }

    #[test]
    fn nul_in_username_or_authzid_is_refused() {
        assert_eq!(
            Scram::new(ScramHash::Sha1, false, None, "u\0", "p", "n").unwrap_err(),
            SaslError::InvalidInput {
                field: "username",
                reason: "contains NUL"
            }
        );
        assert_eq!(
            Scram::new(ScramHash::Sha1, false, Some("a\0"), "u", "p", "n").unwrap_err(),
            SaslError::InvalidInput {
                field: "authzid",
                reason: "contains NUL"
            }
        );
    }

    #[test]
    fn signature_comparison_is_exact_and_length_checked() {
        let sig = [0x5au8; 32];
        assert!(constant_time_eq(&sig, &sig));
        assert!(constant_time_eq(&[], &[]));
        for at in [0, 15, 31] {
            let mut other = sig;
            other[at] ^= 0x01;
            assert!(!constant_time_eq(&sig, &other), "differs at {at}");
        }
        assert!(!constant_time_eq(&sig, &sig[..31]), "a prefix is not equal");
        assert!(!constant_time_eq(&sig[..20], &sig), "nor a longer value");
        // A truncated v= (a prefix of the real signature) fails the exchange.
        let mut s = rfc5802();
        s.initial_response(None).unwrap();
        s.step(FIRST_1).unwrap();
        assert!(matches!(
            s.step(b"v=rmF9pqV8S7suAoZWja4dJRkF"),
            Err(SaslError::ServerAuth(_))
        ));
        assert!(!s.is_complete());
    }

    #[test]
    fn debug_hides_the_password_and_what_derives_from_it() {
        // The RFC 5802 exchange, checked after every step: the password, the salted
        // password, the client key and the proof never show.
        let h = ScramHash::Sha1;
        let salted = h.hi(b"pencil", &B64.decode("QSXCR+Q6sek8bf92").unwrap(), 4096);
        let client_key = h.hmac(&salted, b"Client Key");
        let proof = B64.decode("v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=").unwrap();
        let signature = B64.decode("rmF9pqV8S7suAoZWja4dJRkFsKQ=").unwrap();
        let check = |s: &Scram, when: &str| {
            let dump = format!("{s:?}");
            assert!(dump.contains("<redacted>"), "{dump}");
            assert_hides(&dump, b"pencil", when);
            assert_hides(&dump, &salted, when);
            assert_hides(&dump, &client_key, when);
            assert_hides(&dump, &proof, when);
            assert_hides(&dump, &signature, when);
        };
        let mut s = rfc5802();
        check(&s, "new");
        s.initial_response(None).unwrap();
        check(&s, "client-first");
        s.step(FIRST_1).unwrap();
        check(&s, "client-final");
        s.step(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").unwrap();
        assert!(s.is_complete());
        check(&s, "done");
        assert!(s.step(b"again").is_err());
        check(&s, "failed");
    }
}
