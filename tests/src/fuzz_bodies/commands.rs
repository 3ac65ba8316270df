//! Every command built from arbitrary values through the public constructors, then
//! validated and encoded (RFC 5321 §4.1.1, §4.1.2, §4.5.3.1.4; rule 13): an encoded
//! line ends in CRLF with no CR, LF or NUL before it, stays within its length limit,
//! `encode` fails exactly when `validate` does and then appends nothing, and the trace
//! line never shows AUTH payloads (rule 11): it is exactly `AUTH <mechanism> <redacted>`.

use arbitrary::{Arbitrary, Unstructured};
use smtp_proto::command::{
    BodyType, DeliverBy, EnvId, EsmtpParam, FutureRelease, Notify, Orcpt, Ret, MAX_AUTH_LINE,
};
use smtp_proto::{Command, ForwardPath, GeneralLiteral, Host, MailParams, RcptParams, ReversePath};

use super::text::{has_line_break_or_nul, long_text, text};

type R<T> = arbitrary::Result<T>;

fn host(u: &mut Unstructured<'_>) -> R<Host> {
    if bool::arbitrary(u)? {
        if let Ok(g) = GeneralLiteral::new(&text(u, 3)?, &text(u, 6)?) {
            return Ok(Host::Literal(smtp_proto::AddressLiteral::General(g)));
        }
    }
    Ok(Host::parse(&long_text(u, 12)?).unwrap_or_else(|_| Host::parse("h.example").unwrap()))
}

fn params(u: &mut Unstructured<'_>, utf8: bool) -> R<Vec<EsmtpParam>> {
    let mut v = Vec::new();
    for _ in 0..u.int_in_range(0..=4)? {
        let kw = text(u, 3)?;
        let value = if bool::arbitrary(u)? {
            Some(long_text(u, 6)?)
        } else {
            None
        };
        if let Ok(p) = EsmtpParam::new(&kw, value.as_deref(), utf8 || bool::arbitrary(u)?) {
            assert!(!has_line_break_or_nul(p.keyword().as_bytes()));
            assert!(!p
                .value()
                .unwrap_or("")
                .contains([' ', '\r', '\n', '\0', '=']));
            v.push(p);
        }
    }
    Ok(v)
}

fn mail_params(u: &mut Unstructured<'_>) -> R<MailParams> {
    let mut p = MailParams {
        size: Option::arbitrary(u)?,
        body: match u8::arbitrary(u)? % 4 {
            0 => None,
            1 => Some(BodyType::SevenBit),
            2 => Some(BodyType::EightBitMime),
            _ => Some(BodyType::BinaryMime),
        },
        smtputf8: bool::arbitrary(u)?,
        requiretls: bool::arbitrary(u)?,
        ret: match u8::arbitrary(u)? % 3 {
            0 => None,
            1 => Some(Ret::Full),
            _ => Some(Ret::Hdrs),
        },
        envid: if bool::arbitrary(u)? {
            EnvId::new(&long_text(u, 8)?).ok()
        } else {
            None
        },
        mt_priority: Option::arbitrary(u)?,
        deliver_by: if bool::arbitrary(u)? {
            Some(DeliverBy {
                seconds: i64::arbitrary(u)?,
                return_on_expiry: bool::arbitrary(u)?,
                trace: bool::arbitrary(u)?,
            })
        } else {
            None
        },
        future_release: match u8::arbitrary(u)? % 3 {
            0 => None,
            1 => Some(FutureRelease::HoldFor(u64::arbitrary(u)?)),
            _ => Some(FutureRelease::HoldUntil(text(u, 6)?)),
        },
        extra: Vec::new(),
    };
    p.extra = params(u, p.smtputf8)?;
    Ok(p)
}

fn rcpt_params(u: &mut Unstructured<'_>) -> R<RcptParams> {
    Ok(RcptParams {
        notify: match u8::arbitrary(u)? % 3 {
            0 => None,
            1 => Some(Notify::Never),
            _ => Some(Notify::On {
                success: bool::arbitrary(u)?,
                failure: bool::arbitrary(u)?,
                delay: bool::arbitrary(u)?,
            }),
        },
        orcpt: if bool::arbitrary(u)? {
            Orcpt::parse(&long_text(u, 10)?).ok()
        } else {
            None
        },
        extra: params(u, false)?,
    })
}

fn command(u: &mut Unstructured<'_>) -> R<Command> {
    Ok(match u8::arbitrary(u)? % 15 {
        0 => Command::Ehlo(host(u)?),
        1 => Command::Helo(host(u)?),
        2 => Command::Lhlo(host(u)?),
        3 => Command::StartTls,
        4 => Command::Auth {
            mechanism: text(u, 4)?,
            initial: Option::arbitrary(u)?,
        },
        5 => Command::AuthResponse(Vec::arbitrary(u)?),
        6 => Command::AuthCancel,
        7 | 8 => {
            let from =
                ReversePath::parse(&long_text(u, 10)?).unwrap_or_else(|_| ReversePath::null());
            Command::Mail {
                from,
                params: mail_params(u)?,
            }
        }
        9 | 10 => {
            let to = ForwardPath::parse(&long_text(u, 10)?).unwrap_or(ForwardPath::Postmaster);
            Command::Rcpt {
                to,
                params: rcpt_params(u)?,
            }
        }
        11 => Command::Bdat {
            size: u64::arbitrary(u)?,
            last: bool::arbitrary(u)?,
        },
        12 => Command::Vrfy(long_text(u, 8)?),
        13 => Command::Data,
        _ => match u8::arbitrary(u)? % 3 {
            0 => Command::Rset,
            1 => Command::Noop,
            _ => Command::Quit,
        },
    })
}

/// Builds commands from `data` and checks each one's encoding.
pub fn command_encoder(data: &[u8]) {
    let mut u = Unstructured::new(data);
    while !u.is_empty() {
        let Ok(cmd) = command(&mut u) else {
            return;
        };
        let valid = cmd.validate();
        let mut out = vec![0xAA];
        let encoded = cmd.encode(&mut out);
        assert_eq!(encoded, valid, "encode and validate disagree on {cmd:?}");
        if encoded.is_err() {
            assert_eq!(out, [0xAA], "a refused command appended bytes");
        } else {
            let line = &out[1..];
            assert!(line.ends_with(b"\r\n"), "{cmd:?} does not end in CRLF");
            assert!(
                !has_line_break_or_nul(&line[..line.len() - 2]),
                "CR, LF or NUL inside {cmd:?}"
            );
            assert!(line.len() <= MAX_AUTH_LINE, "{} octets", line.len());
        }
        let trace = cmd.trace_line();
        assert!(!has_line_break_or_nul(trace.as_bytes()) || encoded.is_err());
        // Rule 11: AUTH payloads stay out of traces, and so of Debug and Display,
        // which show the trace line.
        assert_eq!(format!("{cmd:?}"), format!("Command({trace:?})"));
        assert_eq!(format!("{cmd}"), trace);
        match &cmd {
            Command::Auth {
                mechanism,
                initial: Some(_),
            } => assert_eq!(trace, format!("AUTH {mechanism} <redacted>")),
            Command::AuthResponse(r) if r.is_empty() => assert_eq!(trace, ""),
            Command::AuthResponse(_) => assert_eq!(trace, "<redacted>"),
            _ => {}
        }
    }
}
