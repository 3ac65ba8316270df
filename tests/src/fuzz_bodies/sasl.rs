//! Every SASL mechanism (RFC 4954 §4, rule 11, rule 16) built from arbitrary inputs
//! through its fallible constructor and stepped through arbitrary challenges: no
//! panic; a failed step leaves the mechanism incomplete; `Debug`, and the constructors'
//! errors, never show the secret.

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use smtp_proto::sasl::{
    CramMd5, External, Login, Mechanism, OAuthBearer, Plain, SaslError, Scram, ScramHash, XOAuth2,
};
use smtp_proto::{ChannelBinding, ChannelBindingKind, TlsInfo};

use super::text::text;

/// Every secret starts with this, so a leak is easy to see in any output.
pub const MARK: &str = "S3CR3TpW";

/// The forms in which `MARK` could show: as is, and base64-encoded at any offset
/// inside a longer message (each 3-byte-aligned run of it).
pub fn leaks(shown: &str) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let m = MARK.as_bytes();
    shown.contains(MARK)
        || (0..3).any(|k| {
            let full = (m.len() - k) / 3 * 3;
            shown.contains(&b64.encode(&m[k..k + full]))
        })
}

type R<T> = arbitrary::Result<T>;

fn secret(u: &mut Unstructured<'_>) -> R<String> {
    Ok(format!("{MARK}{}", text(u, 6)?))
}

/// A value that is not secret: anything that would look like a leak is replaced, so
/// the leak checks below only ever fire on the secret itself.
fn public(u: &mut Unstructured<'_>) -> R<String> {
    let s = text(u, 6)?;
    Ok(if leaks(&s) { String::from("u") } else { s })
}

fn opt_text(u: &mut Unstructured<'_>) -> R<Option<String>> {
    Ok(if bool::arbitrary(u)? {
        Some(public(u)?)
    } else {
        None
    })
}

fn built<M: Mechanism + Send + 'static>(
    made: Result<M, SaslError>,
) -> Option<Box<dyn Mechanism + Send>> {
    match made {
        Ok(m) => Some(Box::new(m)),
        Err(e) => {
            assert!(
                !leaks(&e.to_string()) && !leaks(&format!("{e:?}")),
                "a constructor's error shows the secret: {e:?}"
            );
            None
        }
    }
}

/// One mechanism from `u` (`None` when the constructor refused the input).
pub fn mechanism(u: &mut Unstructured<'_>) -> R<Option<Box<dyn Mechanism + Send>>> {
    let user = public(u)?;
    let authzid = opt_text(u)?;
    let pass = secret(u)?;
    Ok(match u8::arbitrary(u)? % 8 {
        0 => built(Plain::new(authzid.as_deref(), &user, &pass)),
        1 => built(Login::new(&user, &pass)),
        2 => built(XOAuth2::new(&user, &pass)),
        3 => {
            let host = opt_text(u)?;
            built(OAuthBearer::new(
                &user,
                host.as_deref(),
                Option::arbitrary(u)?,
                &pass,
            ))
        }
        4 => built(External::new(authzid.as_deref())),
        5 => built(CramMd5::new(&user, &pass)),
        _ => {
            let hash = if bool::arbitrary(u)? {
                ScramHash::Sha256
            } else {
                ScramHash::Sha1
            };
            let nonce = if bool::arbitrary(u)? {
                String::from("fyko+d2lbbFgONRv9qkxdawL")
            } else {
                public(u)?
            };
            let plus = bool::arbitrary(u)?;
            match Scram::new(hash, plus, authzid.as_deref(), &user, &pass, &nonce) {
                Ok(mut s) => {
                    // Small bounds keep PBKDF2 cheap; a floor above the cap is refused.
                    let (floor, cap) = (u16::arbitrary(u)? % 80, u16::arbitrary(u)? % 64);
                    match s.with_iteration_bounds(u32::from(floor), u32::from(cap)) {
                        Ok(b) => s = b,
                        Err(_) => {
                            assert!(floor > cap);
                            return Ok(None);
                        }
                    }
                    if bool::arbitrary(u)? {
                        s.set_server_supports_plus(bool::arbitrary(u)?);
                    }
                    built(Ok(s))
                }
                Err(e) => built::<Scram>(Err(e)),
            }
        }
    })
}

/// A challenge: arbitrary bytes, or (for SCRAM) a server-first message that extends
/// `nonce`, so the exchange gets as far as the proof and the server signature.
fn challenge(u: &mut Unstructured<'_>, nonce: Option<&str>) -> R<Vec<u8>> {
    Ok(match (u8::arbitrary(u)? % 4, nonce) {
        (0, Some(n)) => {
            let salt = base64::engine::general_purpose::STANDARD.encode(Vec::<u8>::arbitrary(u)?);
            let ext = if bool::arbitrary(u)? { "srv" } else { "" };
            let i = u.choose(&["1", "4", "63", "0", "007", "4096", "99999999999", "x"])?;
            format!("r={n}{ext},s={salt},i={i}").into_bytes()
        }
        (1, _) => {
            let v = base64::engine::general_purpose::STANDARD.encode(Vec::<u8>::arbitrary(u)?);
            format!("v={v}").into_bytes()
        }
        (2, _) => text(u, 8)?.into_bytes(),
        _ => Vec::arbitrary(u)?,
    })
}

/// Steps one mechanism built from `data` through arbitrary challenges.
pub fn sasl(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(Some(mut m)) = mechanism(&mut u) else {
        return;
    };
    let name = m.name().to_string();
    assert!(
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    );
    if let Ok(list) = Vec::<String>::arbitrary(&mut u) {
        m.offered(&list);
    }
    let tls = match u8::arbitrary(&mut u).unwrap_or(0) % 3 {
        0 => None,
        1 => Some(TlsInfo::default()),
        _ => {
            let mut info = TlsInfo::default();
            info.channel_binding = Some(ChannelBinding {
                kind: ChannelBindingKind::TlsExporter,
                data: Vec::arbitrary(&mut u).unwrap_or_default(),
            });
            Some(info)
        }
    };
    let initial = m.initial_response(tls.as_ref());
    assert!(!leaks(&format!("{m:?}")), "Debug shows the secret: {m:?}");
    // The client nonce, as the client-first message carries it (SCRAM only).
    let nonce = match &initial {
        Ok(Some(first)) if name.starts_with("SCRAM") => String::from_utf8_lossy(first)
            .split(',')
            .find_map(|a| a.strip_prefix("r=").map(String::from)),
        _ => None,
    };
    for _ in 0..6 {
        let Ok(c) = challenge(&mut u, nonce.as_deref()) else {
            break;
        };
        match m.step(&c) {
            Ok(_) => {}
            Err(e) => {
                assert!(!m.is_complete(), "{name}: complete after a failed step");
                if !leaks(&String::from_utf8_lossy(&c)) {
                    assert!(
                        !leaks(&e.to_string()),
                        "{name}: a step error shows the secret"
                    );
                }
                let _ = m.error_response();
            }
        }
        assert!(!leaks(&format!("{m:?}")), "Debug shows the secret: {m:?}");
    }
}
