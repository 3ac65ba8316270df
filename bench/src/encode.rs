//! Body encoding: DATA dot-stuffing and BDAT normalisation of 10 MiB of 76-byte
//! CRLF lines (a few of them starting with a dot) with ours (`DataEncoder`,
//! `BdatEncoder`, fed 64 KiB `Bytes` slices as the drivers do), against memcpy of the
//! same bytes (the ceiling), mail-send's `SmtpClient::write_message` into a counting
//! sink and lettre's transparency loop. Reported in GB/s (and ratio to memcpy) and
//! instructions per byte.

use std::collections::VecDeque;
use std::hint::black_box;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use smtp_proto::{BdatEncoder, DataEncoder, LineEndings};

use crate::micro::Op;

/// Size of the text.
pub const TEXT_LEN: usize = 10 * 1024 * 1024;
/// Lines that start with a dot: one in this many.
const DOT_EVERY: usize = 64;
/// Chunk handed to the encoder at a time.
const CHUNK: usize = 64 * 1024;

/// 76-byte CRLF lines (74 + CRLF … 76 with CRLF), every 64th starting with a dot.
pub fn text(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 80);
    let mut i = 0usize;
    while out.len() < len {
        let first = if i % DOT_EVERY == 0 { b'.' } else { b'L' };
        out.push(first);
        out.extend((0..73).map(|k| b'a' + ((i + k) % 26) as u8));
        out.extend_from_slice(b"\r\n");
        i += 1;
    }
    out.truncate(len - len % 76);
    out
}

/// How many bytes DATA encoding must give: one extra dot per dotted line, plus
/// `.\r\n`.
fn expected_data_len(t: &[u8]) -> u64 {
    let dots = t.chunks(76).filter(|l| l[0] == b'.').count();
    (t.len() + dots + 3) as u64
}

fn memcpy(_: usize) -> Box<dyn FnMut()> {
    let src = text(TEXT_LEN);
    let mut dst = vec![0u8; src.len()];
    Box::new(move || {
        dst.copy_from_slice(black_box(&src));
        assert_eq!(black_box(&dst)[76 * 5], src[76 * 5]);
    })
}

fn ours_data(_: usize) -> Box<dyn FnMut()> {
    let src = Bytes::from(text(TEXT_LEN));
    let want = expected_data_len(&src);
    let mut out = VecDeque::new();
    Box::new(move || {
        let mut enc = DataEncoder::new(LineEndings::Normalize);
        let mut pieces = 0usize;
        for start in (0..src.len()).step_by(CHUNK) {
            let chunk = src.slice(start..(start + CHUNK).min(src.len()));
            enc.encode(chunk, &mut out).expect("no bare line ending");
            pieces += out.len();
            out.clear(); // the driver writes them out
        }
        enc.finish(&mut out);
        out.clear();
        assert!(enc.encoded_len() == want && pieces > 0);
    })
}

fn ours_bdat(_: usize) -> Box<dyn FnMut()> {
    let src = Bytes::from(text(TEXT_LEN));
    let mut out = VecDeque::new();
    Box::new(move || {
        let mut enc = BdatEncoder::new(LineEndings::Normalize, false);
        let mut n = 0usize;
        for start in (0..src.len()).step_by(CHUNK) {
            let chunk = src.slice(start..(start + CHUNK).min(src.len()));
            n += enc.encode(chunk, &mut out).expect("no bare line ending");
            out.clear();
        }
        n += enc.finish(&mut out);
        out.clear();
        assert_eq!(n, src.len());
    })
}

/// Counts what is written to it; reads nothing. mail-send's client needs a stream.
#[derive(Default)]
struct CountingSink(u64);

impl tokio::io::AsyncWrite for CountingSink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        b: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0 += b.len() as u64;
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncRead for CountingSink {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn mail_send(_: usize) -> Box<dyn FnMut()> {
    let src = text(TEXT_LEN);
    // mail-send ends with CRLF . CRLF itself (it assumes no final CRLF in the body),
    // and does not stuff a dot on the body's very first line (its state starts as
    // "not after a line end"): a mail-send 0.7 bug, visible in this count.
    let want = expected_data_len(&src) + 2 - u64::from(src[0] == b'.');
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    Box::new(move || {
        let mut c = mail_send::SmtpClient {
            stream: CountingSink::default(),
            timeout: std::time::Duration::from_secs(60),
        };
        rt.block_on(c.write_message(black_box(&src))).unwrap();
        assert_eq!(c.stream.0, want);
    })
}

/// lettre's `ClientCodec::encode` (private in lettre 0.11): its byte-at-a-time loop,
/// copied here verbatim in structure, into a fresh `Vec` per message as lettre does.
fn lettre_codec(_: usize) -> Box<dyn FnMut()> {
    let src = text(TEXT_LEN);
    let want = expected_data_len(&src) - 3;
    Box::new(move || {
        // As `SmtpConnection::message`: a fresh buffer of the part's length.
        let mut buf = Vec::with_capacity(src.len());
        lettre_encode(black_box(&src), &mut buf);
        assert_eq!(buf.len() as u64, want);
    })
}

#[derive(Clone, Copy)]
enum Lc {
    Start,
    Starting,
    Middle,
}

fn lettre_encode(frame: &[u8], buf: &mut Vec<u8>) {
    let mut status = Lc::Start;
    for &b in frame {
        buf.push(b);
        status = match (b, status) {
            (b'\r', _) => Lc::Starting,
            (b'\n', Lc::Starting) => Lc::Start,
            (_, Lc::Starting) => Lc::Middle,
            (b'.', Lc::Start) => {
                buf.push(b'.');
                Lc::Middle
            }
            (_, Lc::Start) => Lc::Middle,
            (_, s) => s,
        };
    }
}

/// The encode ops (one call = the whole 10 MiB).
pub fn ops() -> Vec<Op> {
    vec![
        Op {
            id: "memcpy-10m",
            make: memcpy,
        },
        Op {
            id: "ours-data-10m",
            make: ours_data,
        },
        Op {
            id: "ours-bdat-10m",
            make: ours_bdat,
        },
        Op {
            id: "mail-send-10m",
            make: mail_send,
        },
        Op {
            id: "lettre-10m",
            make: lettre_codec,
        },
    ]
}
