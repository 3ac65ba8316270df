//! The embedded loopback server `smtp-send` talks to when no `--server` is given: a
//! small SMTP receiver on 127.0.0.1 (PIPELINING, CHUNKING, 8BITMIME, SMTPUTF8,
//! ENHANCEDSTATUSCODES, SIZE) that keeps what it receives, so a first run on a fresh
//! machine shows a whole session over a real socket. It serves one connection.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;

/// One message the loopback server stored.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The envelope recipients.
    pub recipients: Vec<String>,
    /// The message as received (dot-unstuffed).
    pub bytes: Vec<u8>,
}

/// Starts the server; it accepts one connection and returns what it stored.
pub fn start() -> io::Result<(SocketAddr, JoinHandle<io::Result<Vec<Stored>>>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let handle = std::thread::spawn(move || {
        let (sock, _) = listener.accept()?;
        serve(sock)
    });
    Ok((addr, handle))
}

fn serve(sock: TcpStream) -> io::Result<Vec<Stored>> {
    let mut out = sock.try_clone()?;
    let mut input = BufReader::new(sock);
    let mut stored = Vec::new();
    let mut rcpts: Vec<String> = Vec::new();
    out.write_all(b"220 loopback.smtp-send ESMTP ready\r\n")?;
    let mut bdat = Vec::new();
    while let Some(line) = read_line(&mut input)? {
        let upper = line.to_ascii_uppercase();
        let verb = upper.split(' ').next().unwrap_or("");
        let reply: &[u8] = match verb {
            "EHLO" | "LHLO" => b"250-loopback.smtp-send\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 CHUNKING\r\n",
            "HELO" => b"250 loopback.smtp-send\r\n",
            "MAIL" => {
                rcpts.clear();
                bdat.clear();
                b"250 2.1.0 sender ok\r\n"
            }
            "RCPT" => {
                let to = line.split_once(':').map_or("", |(_, t)| t);
                rcpts.push(to.split('>').next().unwrap_or("").trim_start_matches('<').to_string());
                b"250 2.1.5 recipient ok\r\n"
            }
            "DATA" => {
                out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
                let bytes = read_data(&mut input)?;
                stored.push(Stored { recipients: rcpts.clone(), bytes });
                b"250 2.0.0 stored\r\n"
            }
            "BDAT" => {
                let mut words = line.split(' ').skip(1);
                let size: usize = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                let last = words.next().is_some_and(|w| w.eq_ignore_ascii_case("LAST"));
                let mut chunk = vec![0; size];
                input.read_exact(&mut chunk)?;
                bdat.extend_from_slice(&chunk);
                if last {
                    stored.push(Stored { recipients: rcpts.clone(), bytes: std::mem::take(&mut bdat) });
                    b"250 2.0.0 stored\r\n"
                } else {
                    b"250 2.0.0 chunk ok\r\n"
                }
            }
            "RSET" => b"250 2.0.0 reset\r\n",
            "NOOP" => b"250 2.0.0 ok\r\n",
            "QUIT" => {
                out.write_all(b"221 2.0.0 bye\r\n")?;
                break;
            }
            _ => b"502 5.5.2 not implemented here\r\n",
        };
        out.write_all(reply)?;
    }
    Ok(stored)
}

fn read_line(input: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    if input.read_until(b'\n', &mut buf)? == 0 {
        return Ok(None);
    }
    while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// Reads DATA up to the lone `.`, undoing dot-stuffing (RFC 5321 §4.5.2).
fn read_data(input: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    loop {
        let mut line = Vec::new();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(bytes);
        }
        if line == b".\r\n" {
            return Ok(bytes);
        }
        let start = usize::from(line.first() == Some(&b'.'));
        bytes.extend_from_slice(&line[start..]);
    }
}
