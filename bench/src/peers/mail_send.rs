//! mail-send 0.7 (Stalwart's client, tokio): `connect_plain`, then `send` per
//! message (MAIL, RCPT, DATA each awaited: no pipelining, no BDAT).

use std::sync::Once;

use mail_send::smtp::message::Message;
use mail_send::SmtpClientBuilder;

use super::{runtime, timed, Job, Run, FROM, TO};

/// mail-send's builder makes a rustls config even for plaintext: it needs a
/// process-wide crypto provider.
fn provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// One connection, `n` messages.
pub fn send(job: &Job) -> Result<Run, String> {
    provider();
    let rt = runtime();
    timed(|| {
        rt.block_on(async {
            let mut c = SmtpClientBuilder::new(job.addr.ip().to_string(), job.addr.port())?
                .implicit_tls(false)
                .helo_host("client.example")
                .connect_plain()
                .await
                .map_err(|e| e.to_string())?;
            for _ in 0..job.n {
                let m = Message::new(FROM, [TO], &job.msg[..]);
                let r = c.send(m).await.map_err(|e| e.to_string())?;
                if r.code / 100 != 2 {
                    return Err(format!("mail-send: {}", r.code));
                }
            }
            c.quit().await.map_err(|e| e.to_string())
        })
    })
}
