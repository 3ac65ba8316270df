//! A scripted SMTP server on a real loopback socket, one thread per test: it reads
//! what the driver writes and answers as its script says, so each test can be a
//! server that answers late, refuses a chunk, stops reading, or lies.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;

/// The server side of one connection.
pub struct Peer {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Peer {
    /// The next line the client wrote, without CRLF (`None` at EOF).
    pub fn line(&mut self) -> Option<String> {
        let mut s = String::new();
        match self.reader.read_line(&mut s) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(s.trim_end_matches(['\r', '\n']).to_string()),
        }
    }
    /// Reads lines until one starts with `prefix`; returns it.
    pub fn expect(&mut self, prefix: &str) -> String {
        let l = self
            .line()
            .unwrap_or_else(|| panic!("EOF, wanted {prefix}"));
        assert!(l.starts_with(prefix), "wanted {prefix:?}, got {l:?}");
        l
    }
    /// Writes `text` as it is.
    pub fn send(&mut self, text: &str) {
        let _ = self.writer.write_all(text.as_bytes());
    }
    /// Reads exactly `n` bytes (BDAT data); false at EOF.
    pub fn skip(&mut self, n: usize) -> bool {
        let mut buf = vec![0; n];
        self.reader.read_exact(&mut buf).is_ok()
    }
    /// Reads DATA lines up to the lone `.`; returns the bytes read.
    pub fn data(&mut self) -> usize {
        let mut total = 0;
        while let Some(l) = self.line() {
            if l == "." {
                break;
            }
            total += l.len() + 2;
        }
        total
    }
    /// A pipelined MAIL, RCPT, DATA flight for one recipient, accepted up to the 354.
    pub fn accept_flight(&mut self) {
        self.expect("MAIL");
        self.expect("RCPT");
        self.expect("DATA");
        self.send("250 ok\r\n250 ok\r\n354 go\r\n");
    }

    /// The usual opening: greeting, then EHLO answered with `caps` lines.
    pub fn open(&mut self, caps: &[&str]) {
        self.send("220 mx.test ESMTP\r\n");
        self.expect("EHLO");
        let mut reply = String::from(if caps.is_empty() {
            "250 mx.test\r\n"
        } else {
            "250-mx.test\r\n"
        });
        for (i, c) in caps.iter().enumerate() {
            let sep = if i + 1 == caps.len() { ' ' } else { '-' };
            reply.push_str(&format!("250{sep}{c}\r\n"));
        }
        self.send(&reply);
    }
}

/// Starts a server that runs `script` on its one connection; returns its address
/// and the thread, which yields what the script returns.
pub fn serve<T: Send + 'static>(
    script: impl FnOnce(&mut Peer) -> T + Send + 'static,
) -> (SocketAddr, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = std::thread::spawn(move || {
        let (sock, _) = listener.accept().expect("accept");
        let mut peer = Peer {
            reader: BufReader::new(sock.try_clone().expect("clone")),
            writer: sock,
        };
        script(&mut peer)
    });
    (addr, handle)
}
