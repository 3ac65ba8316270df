//! Compares a replay with a case's `expect` and `session` sections.

use smtp_proto::Error;

use super::case::{Case, Outcome, RcptOutcome};
use super::replay::{show, OpResult, RcptResult, Replay};

/// Checks every op's outcome and the end state; `Err` names the first mismatch.
pub fn outcomes(case: &Case, r: &Replay) -> Result<(), String> {
    if case.expect.len() != case.ops.len() {
        return Err(format!(
            "{} ops but {} expect entries",
            case.ops.len(),
            case.expect.len()
        ));
    }
    for (i, (want, got)) in case.expect.iter().zip(&r.results).enumerate() {
        let Some(got) = got else {
            return Err(format!("op {i} never ended"));
        };
        op(want, got).map_err(|e| format!("op {i}: {e} (got {})", describe(got)))?;
    }
    if let Some(s) = &case.session {
        flag("session.closed", s.closed, r.closed)?;
        flag("session.botched", s.botched, r.botched)?;
        flag("session.tls", s.tls, r.tls)?;
        flag("session.auth", s.auth, r.auth)?;
    }
    Ok(())
}

fn flag(name: &str, want: Option<bool>, got: bool) -> Result<(), String> {
    match want {
        Some(w) if w != got => Err(format!("{name}: expected {w}, got {got}")),
        _ => Ok(()),
    }
}

fn op(want: &Outcome, got: &OpResult) -> Result<(), String> {
    let (ok, err, rcpts): (bool, Option<ErrView>, &[RcptResult]) = match got {
        OpResult::Ok(r) => (true, None, r),
        OpResult::Failed(e, r) => (false, Some(ErrView::Session(e)), r),
        OpResult::Usage(_) => (false, Some(ErrView::Usage), &[]),
    };
    if let Some(w) = want.ok {
        if w != ok {
            return Err(format!("ok: expected {w}"));
        }
    }
    if let Some(e) = &err {
        error_fields(
            want.kind.as_deref(),
            want.permanent,
            want.code,
            want.enhanced.as_ref(),
            want.command.as_deref(),
            e,
        )?;
    } else if want.kind.is_some() || want.code.is_some() || want.command.is_some() {
        return Err("expected a failure".into());
    }
    if let Some(list) = &want.recipients {
        if list.len() != rcpts.len() {
            return Err(format!(
                "recipients: expected {}, got {}",
                list.len(),
                rcpts.len()
            ));
        }
        for (i, (w, g)) in list.iter().zip(rcpts).enumerate() {
            rcpt(w, g).map_err(|e| format!("recipient {i}: {e}"))?;
        }
    }
    Ok(())
}

enum ErrView<'a> {
    Session(&'a Error),
    Usage,
}

fn error_fields(
    kind: Option<&str>,
    permanent: Option<bool>,
    code: Option<u16>,
    enhanced: Option<&Option<String>>,
    command: Option<&str>,
    e: &ErrView<'_>,
) -> Result<(), String> {
    let (k, p, c, en, cmd) = match e {
        ErrView::Usage => ("usage", false, None, None, None),
        ErrView::Session(e) => (
            e.kind.as_str(),
            e.permanent,
            e.code(),
            e.enhanced().map(|x| x.to_string()),
            e.command.map(|v| v.as_str()),
        ),
    };
    if let Some(w) = kind {
        if w != k {
            return Err(format!("kind: expected {w}, got {k}"));
        }
    }
    if let Some(w) = permanent {
        if w != p {
            return Err(format!("permanent: expected {w}, got {p}"));
        }
    }
    if let Some(w) = code {
        if Some(w) != c {
            return Err(format!("code: expected {w}, got {c:?}"));
        }
    }
    if let Some(w) = enhanced {
        if *w != en {
            return Err(format!("enhanced: expected {w:?}, got {en:?}"));
        }
    }
    if let Some(w) = command {
        if Some(w) != cmd {
            return Err(format!("command: expected {w}, got {cmd:?}"));
        }
    }
    Ok(())
}

fn rcpt(want: &RcptOutcome, got: &RcptResult) -> Result<(), String> {
    match got {
        RcptResult::Pending => Err("no result".into()),
        RcptResult::Ok(code, en) => {
            if want.ok == Some(false) {
                return Err(format!("expected a failure, got {code}"));
            }
            if want.code.is_some_and(|w| w != *code) {
                return Err(format!("code: expected {:?}, got {code}", want.code));
            }
            if let Some(w) = &want.enhanced {
                if w != en {
                    return Err(format!("enhanced: expected {w:?}, got {en:?}"));
                }
            }
            if want.permanent.is_some() || want.kind.is_some() {
                return Err("expected a failure".into());
            }
            Ok(())
        }
        RcptResult::Err(e) => {
            if want.ok == Some(true) {
                return Err(format!("expected success, got {e}"));
            }
            error_fields(
                want.kind.as_deref(),
                want.permanent,
                want.code,
                want.enhanced.as_ref(),
                None,
                &ErrView::Session(e),
            )
        }
    }
}

fn describe(r: &OpResult) -> String {
    match r {
        OpResult::Ok(_) => "ok".into(),
        OpResult::Failed(e, _) => format!("{e}"),
        OpResult::Usage(e) => format!("usage error: {e}"),
    }
}

/// The first difference between two replays, for messages.
pub fn difference(a: &Replay, b: &Replay) -> String {
    if a.written != b.written {
        let i = a
            .written
            .iter()
            .zip(&b.written)
            .take_while(|(x, y)| x == y)
            .count();
        return format!(
            "client bytes differ at {i}: {:?} vs {:?}",
            show(&a.written[i.min(a.written.len())..]),
            show(&b.written[i.min(b.written.len())..])
        );
    }
    if a.results != b.results {
        return format!("outcomes differ: {:?} vs {:?}", a.results, b.results);
    }
    "end state differs".into()
}
