//! Test helpers: a scripted server end ([`Peer`]), a small SMTP sink, and a stream
//! wrapper that records (or fails) the driver's writes.
#![allow(dead_code)]

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use smtp_proto::{Config, Envelope, ForwardPath, Host, Recipient, ReversePath, TlsMode};
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf,
};

/// A plaintext configuration (the default would try STARTTLS).
pub fn config() -> Config {
    let mut c = Config::new(Host::parse("client.example").unwrap());
    c.tls = TlsMode::None;
    c
}

/// An envelope from a@example.org to `n` recipients r0@example.net, r1@...
pub fn envelope(n: usize) -> Envelope {
    let to = (0..n)
        .map(|i| Recipient::new(ForwardPath::parse(&format!("r{i}@example.net")).unwrap()))
        .collect();
    Envelope::new(ReversePath::parse("a@example.org").unwrap(), to)
}

/// A message body of about `size` bytes: 78-byte lines ending in CRLF.
pub fn body(size: usize) -> Vec<u8> {
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123\r\n";
    let mut v = Vec::with_capacity(size + line.len());
    while v.len() < size {
        v.extend_from_slice(line);
    }
    v
}

/// The server's end of a connection, read line by line.
pub struct Peer<S> {
    pub io: BufReader<S>,
    /// Bytes read from the client so far.
    pub received: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Peer<S> {
    pub fn new(stream: S) -> Peer<S> {
        Peer {
            io: BufReader::new(stream),
            received: 0,
        }
    }

    /// The next line without its CRLF; `None` at EOF.
    pub async fn line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        let n = self.io.read_until(b'\n', &mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        self.received += n;
        let s = String::from_utf8_lossy(&buf);
        Some(s.trim_end_matches(['\r', '\n']).to_string())
    }

    /// Reads a line and checks that it starts with `prefix`.
    pub async fn expect(&mut self, prefix: &str) -> String {
        let line = self.line().await.unwrap_or_default();
        assert!(
            line.to_ascii_uppercase()
                .starts_with(&prefix.to_ascii_uppercase()),
            "expected {prefix:?}, got {line:?}"
        );
        line
    }

    /// Writes `text` as it is (the caller writes the CRLFs).
    pub async fn send(&mut self, text: &str) {
        let _ = self.io.get_mut().write_all(text.as_bytes()).await;
        let _ = self.io.get_mut().flush().await;
    }

    /// Reads exactly `n` bytes (BDAT data).
    pub async fn data(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.io.read_exact(&mut v).await.unwrap();
        self.received += n;
        v
    }

    /// Reads a DATA body up to the lone `.`, undoing dot-stuffing.
    pub async fn dot_body(&mut self) -> Vec<u8> {
        self.whole_dot_body().await.unwrap_or_default()
    }

    /// Like [`Peer::dot_body`], but `None` when EOF came before the `.`.
    pub async fn whole_dot_body(&mut self) -> Option<Vec<u8>> {
        let mut body = Vec::new();
        while let Some(line) = self.line().await {
            if line == "." {
                return Some(body);
            }
            let line = line.strip_prefix('.').unwrap_or(&line);
            body.extend_from_slice(line.as_bytes());
            body.extend_from_slice(b"\r\n");
        }
        None
    }

    /// Reads until EOF; returns how many bytes came.
    pub async fn drain(&mut self) -> usize {
        let mut buf = vec![0; 64 * 1024];
        let mut total = 0;
        while let Ok(n) = self.io.read(&mut buf).await {
            if n == 0 {
                break;
            }
            total += n;
        }
        self.received += total;
        total
    }
}

/// What a [`sink`] saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Every command line, in order.
    pub commands: Vec<String>,
    /// Every message body, as stored.
    pub messages: Vec<Vec<u8>>,
}

/// An SMTP sink: greets, answers EHLO with `ehlo` (lines after `250-mx`), takes
/// messages over DATA or BDAT, answers RSET/NOOP/AUTH, ends at QUIT or EOF.
pub async fn sink<S: AsyncRead + AsyncWrite + Unpin>(stream: S, ehlo: &[&str]) -> Seen {
    let mut peer = Peer::new(stream);
    let mut seen = Seen::default();
    let mut hello = String::from("250-mx\r\n");
    for (i, cap) in ehlo.iter().enumerate() {
        let sep = if i + 1 == ehlo.len() { ' ' } else { '-' };
        hello.push_str(&format!("250{sep}{cap}\r\n"));
    }
    if ehlo.is_empty() {
        hello = "250 mx\r\n".into();
    }
    peer.send("220 mx ESMTP test sink\r\n").await;
    let mut chunks: Vec<u8> = Vec::new();
    while let Some(line) = peer.line().await {
        seen.commands.push(line.clone());
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "LHLO" => peer.send(&hello).await,
            "MAIL" | "RCPT" | "RSET" | "NOOP" => peer.send("250 2.0.0 ok\r\n").await,
            "AUTH" => peer.send("235 2.7.0 authenticated\r\n").await,
            "DATA" => {
                peer.send("354 go ahead\r\n").await;
                let Some(body) = peer.whole_dot_body().await else {
                    break;
                };
                seen.messages.push(body);
                peer.send("250 2.0.0 queued\r\n").await;
            }
            "BDAT" => {
                let mut words = line.split(' ').skip(1);
                let n: usize = words.next().unwrap().parse().unwrap();
                let last = words.next().is_some_and(|w| w.eq_ignore_ascii_case("LAST"));
                let data = peer.data(n).await;
                chunks.extend_from_slice(&data);
                if last {
                    seen.messages.push(std::mem::take(&mut chunks));
                    peer.send("250 2.0.0 queued\r\n").await;
                } else {
                    peer.send("250 2.0.0 chunk ok\r\n").await;
                }
            }
            "QUIT" => {
                peer.send("221 2.0.0 bye\r\n").await;
                break;
            }
            _ => peer.send("500 5.5.1 what\r\n").await,
        }
    }
    seen
}

/// The write calls a [`Recorder`] saw, each call's bytes.
pub type Writes = Arc<Mutex<Vec<Vec<u8>>>>;

/// Wraps the driver's stream: records each write call's bytes, and fails a write
/// with `ConnectionReset` once `fail_after` bytes went through.
pub struct Recorder<S> {
    pub inner: S,
    pub writes: Writes,
    pub fail_after: Option<usize>,
    written: usize,
}

impl<S> Recorder<S> {
    pub fn new(inner: S) -> (Recorder<S>, Writes) {
        let writes = Arc::new(Mutex::new(Vec::new()));
        let r = Recorder {
            inner,
            writes: writes.clone(),
            fail_after: None,
            written: 0,
        };
        (r, writes)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorder<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorder<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.fail_after.is_some_and(|limit| self.written >= limit) {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = polled {
            let mut record = Vec::with_capacity(n);
            for b in bufs {
                let take = (n - record.len()).min(b.len());
                record.extend_from_slice(&b[..take]);
            }
            self.written += n;
            self.writes.lock().unwrap().push(record);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
