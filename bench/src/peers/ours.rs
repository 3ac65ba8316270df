//! Ours: `smtp-io-std` and `smtp-io-tokio` `Connection::send`, plaintext, with
//! CHUNKING on or off as the job says (PIPELINING always on when offered).

use std::time::Duration;

use smtp_proto::{Config, Envelope, ForwardPath, Host, Recipient, ReversePath, TlsMode};

use super::{runtime, timed, Job, Run, FROM, TO};

/// The session configuration every run of ours uses.
pub fn config(chunking: bool) -> Config {
    let mut c = Config::new(Host::parse("client.example").expect("host"));
    c.tls = TlsMode::None;
    c.chunking = chunking;
    c
}

/// The one-recipient envelope (built per message, as a caller would).
pub fn envelope() -> Envelope {
    Envelope::new(
        ReversePath::parse(FROM).expect("from"),
        vec![Recipient::new(ForwardPath::parse(TO).expect("to"))],
    )
}

/// Blocking driver.
pub fn std_driver(job: &Job) -> Result<Run, String> {
    timed(|| {
        let mut c = smtp_io_std::Connection::options(config(job.chunking))
            .connect(job.addr, Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        for _ in 0..job.n {
            let d = c
                .send(envelope(), &mut &job.msg[..])
                .map_err(|e| e.to_string())?;
            if !d.all_accepted() {
                return Err(format!("not accepted: {d:?}"));
            }
        }
        c.quit().map_err(|e| e.to_string())
    })
}

/// Async driver on a current-thread runtime.
pub fn tokio_driver(job: &Job) -> Result<Run, String> {
    let rt = runtime();
    timed(|| {
        rt.block_on(async {
            let mut c = smtp_io_tokio::Connection::options(config(job.chunking))
                .connect(job.addr, Duration::from_secs(5))
                .await
                .map_err(|e| e.to_string())?;
            for _ in 0..job.n {
                let d = c
                    .send(envelope(), &job.msg[..])
                    .await
                    .map_err(|e| e.to_string())?;
                if !d.all_accepted() {
                    return Err(format!("not accepted: {d:?}"));
                }
            }
            c.quit().await.map_err(|e| e.to_string())
        })
    })
}
