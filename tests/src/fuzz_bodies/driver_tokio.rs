//! The async driver (`smtp_io_tokio::Connection`) on a current-thread runtime, over an
//! in-memory `AsyncRead + AsyncWrite` with the same behaviours as `driver_std`'s
//! stream: arbitrary bytes, short reads and writes, errors, EOF; a `WouldBlock` is a
//! `Pending` that wakes itself at once, so the driver is polled again. The call budget
//! ends every session (EOF, then failed writes); the driver must never panic and must
//! end every request.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use smtp_io_tokio::{AsyncStream, Connection, TlsUpgrade};
use smtp_proto::{Auth, TlsFailure, TlsFailureKind, TlsInfo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::driver_std::{config, message, Hostile};

struct Handle(Arc<Mutex<Hostile>>);

/// `WouldBlock` becomes a self-waking `Pending`; everything else is ready.
fn poll<T>(cx: &mut Context<'_>, r: io::Result<T>) -> Poll<io::Result<T>> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        other => Poll::Ready(other),
    }
}

impl AsyncRead for Handle {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut h = self.0.lock().expect("not poisoned");
        let r = h.read(buf.initialize_unfilled());
        poll(cx, r).map_ok(|n| buf.advance(n))
    }
}

impl AsyncWrite for Handle {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = self.0.lock().expect("not poisoned").write(buf);
        poll(cx, r)
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Opens a session over the hostile stream and runs send, NOOP, RSET and QUIT.
pub fn driver_tokio(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let shared = Arc::new(Mutex::new(Hostile::new(rest)));
    let mut options = Connection::options(config(mode));
    if mode & 16 != 0 {
        let plain = smtp_proto::sasl::Plain::new(None, "u", "S3CR3TpW").expect("valid");
        options = options.auth(Auth::with(plain));
    }
    if mode & 32 != 0 {
        let ok = mode & 64 == 0;
        let handle = Arc::clone(&shared);
        let upgrade: TlsUpgrade = Box::new(move |_plain| {
            let handle = Arc::clone(&handle);
            Box::pin(async move {
                if ok {
                    let s: Box<dyn AsyncStream> = Box::new(Handle(handle));
                    Ok((s, TlsInfo::default()))
                } else {
                    Err(TlsFailure {
                        kind: TlsFailureKind::Handshake,
                        detail: "refused".into(),
                    })
                }
            })
        });
        options = options.tls_upgrade(upgrade);
    }
    runtime.block_on(async move {
        let Ok(mut conn) = options.open(Handle(Arc::clone(&shared))).await else {
            return;
        };
        let (env, body) = message(mode);
        let _ = conn.send(env, &body[..]).await;
        let _ = conn.noop().await;
        let _ = conn.reset().await;
        let _ = conn.quit().await;
    });
}
