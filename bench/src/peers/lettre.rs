//! lettre 0.11: the blocking `SmtpTransport` and the tokio `AsyncSmtpTransport`,
//! both pooled (one connection reused), plaintext, `send_raw` of the same bytes.

use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, SmtpTransport, Tokio1Executor, Transport};

use super::{runtime, timed, Job, Run, FROM, TO};

fn envelope() -> Envelope {
    Envelope::new(
        Some(FROM.parse().expect("from")),
        vec![TO.parse().expect("to")],
    )
    .expect("envelope")
}

/// Blocking transport.
pub fn sync(job: &Job) -> Result<Run, String> {
    timed(|| {
        let t = SmtpTransport::builder_dangerous(job.addr.ip().to_string())
            .port(job.addr.port())
            .build();
        let env = envelope();
        for _ in 0..job.n {
            let r = t.send_raw(&env, &job.msg).map_err(|e| e.to_string())?;
            if !r.is_positive() {
                return Err(format!("lettre: {r:?}"));
            }
        }
        drop(t); // the pool sends QUIT
        Ok(())
    })
}

/// Async transport on a current-thread runtime.
pub fn async_tokio(job: &Job) -> Result<Run, String> {
    let rt = runtime();
    timed(|| {
        rt.block_on(async {
            let t =
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(job.addr.ip().to_string())
                    .port(job.addr.port())
                    .build();
            let env = envelope();
            for _ in 0..job.n {
                let r = t
                    .send_raw(&env, &job.msg)
                    .await
                    .map_err(|e| e.to_string())?;
                if !r.is_positive() {
                    return Err(format!("lettre: {r:?}"));
                }
            }
            Ok(())
        })
    })
}
