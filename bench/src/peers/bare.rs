//! The ceiling: raw `TcpStream` loops that know the server's answers in advance.
//! Pipelining: MAIL + RCPT + DATA in one write, wait for the three replies, then the
//! message and `.` in one write (two round trips per message, RFC 2920's floor with
//! DATA). BDAT: MAIL + RCPT + `BDAT n LAST` + the message in one write, then the
//! three replies (one round trip). Every reply code is checked.

use std::io::{Read, Write};
use std::net::TcpStream;

use super::{timed, Job, Run, FROM, TO};

/// Reads replies, counting only final lines, with no allocation per reply.
struct Replies {
    buf: Box<[u8; 8192]>,
    start: usize,
    end: usize,
}

impl Replies {
    fn new() -> Replies {
        Replies {
            buf: Box::new([0; 8192]),
            start: 0,
            end: 0,
        }
    }

    /// Reads until the final lines of `codes.len()` replies arrived, checking each
    /// code in turn.
    fn expect(&mut self, s: &mut TcpStream, codes: &[&[u8; 3]]) -> Result<(), String> {
        let mut got = 0;
        while got < codes.len() {
            if let Some(nl) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let line = &self.buf[self.start..self.start + nl + 1];
                self.start += nl + 1;
                if line.get(3) == Some(&b'-') {
                    continue;
                }
                if line.get(..3) != Some(&codes[got][..]) {
                    return Err(format!(
                        "unexpected reply {:?}",
                        String::from_utf8_lossy(line)
                    ));
                }
                got += 1;
                continue;
            }
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            let n = s
                .read(&mut self.buf[self.end..])
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("server closed".into());
            }
            self.end += n;
        }
        Ok(())
    }
}

/// One open bare connection, with its whole per-message flight prebuilt.
pub struct Bare {
    s: TcpStream,
    r: Replies,
    /// Pipelining: the commands; BDAT: commands and message.
    first: Vec<u8>,
    /// Pipelining: the message and its `.` line; BDAT: empty.
    second: Vec<u8>,
}

impl Bare {
    /// Connects, reads the greeting, sends EHLO and reads its reply.
    pub fn open(job: &Job, bdat: bool) -> Result<Bare, String> {
        let (first, second) = if bdat {
            let mut f = format!(
                "MAIL FROM:<{FROM}>\r\nRCPT TO:<{TO}>\r\nBDAT {} LAST\r\n",
                job.msg.len()
            )
            .into_bytes();
            f.extend_from_slice(&job.msg);
            (f, Vec::new())
        } else {
            if job.msg.starts_with(b".") || memchr::memmem::find(&job.msg, b"\n.").is_some() {
                return Err("bare loop needs a message without leading dots".into());
            }
            let mut body = job.msg.to_vec();
            body.extend_from_slice(b".\r\n");
            (
                format!("MAIL FROM:<{FROM}>\r\nRCPT TO:<{TO}>\r\nDATA\r\n").into_bytes(),
                body,
            )
        };
        let mut s = TcpStream::connect(job.addr).map_err(|e| e.to_string())?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut r = Replies::new();
        r.expect(&mut s, &[b"220"])?;
        s.write_all(b"EHLO client.example\r\n")
            .map_err(|e| e.to_string())?;
        r.expect(&mut s, &[b"250"])?;
        Ok(Bare {
            s,
            r,
            first,
            second,
        })
    }

    /// Sends one message and checks every reply.
    pub fn one(&mut self) -> Result<(), String> {
        self.s.write_all(&self.first).map_err(|e| e.to_string())?;
        if self.second.is_empty() {
            return self.r.expect(&mut self.s, &[b"250", b"250", b"250"]);
        }
        self.r.expect(&mut self.s, &[b"250", b"250", b"354"])?;
        self.s.write_all(&self.second).map_err(|e| e.to_string())?;
        self.r.expect(&mut self.s, &[b"250"])
    }

    /// Sends QUIT and reads the 221.
    pub fn quit(mut self) -> Result<(), String> {
        self.s.write_all(b"QUIT\r\n").map_err(|e| e.to_string())?;
        self.r.expect(&mut self.s, &[b"221"])
    }
}

fn run(job: &Job, bdat: bool) -> Result<Run, String> {
    timed(|| {
        let mut b = Bare::open(job, bdat)?;
        for _ in 0..job.n {
            b.one()?;
        }
        b.quit()
    })
}

/// MAIL + RCPT + DATA pipelined, then the message.
pub fn pipelining(job: &Job) -> Result<Run, String> {
    run(job, false)
}

/// MAIL + RCPT + `BDAT n LAST` + message in one write.
pub fn bdat(job: &Job) -> Result<Run, String> {
    run(job, true)
}
