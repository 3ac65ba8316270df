//! A sans-IO SMTP server session for the bench: answers EHLO with PIPELINING,
//! CHUNKING, 8BITMIME and SIZE, and handles MAIL, RCPT, DATA, BDAT, RSET, NOOP and
//! QUIT, pipelined, across any split of the input. Replies to one input are batched
//! into one output, as a pipelining server may. Used by the TCP sink and by the
//! in-memory allocation benchmark (it allocates nothing in steady state).

use memchr::memmem;

const EHLO_REPLY: &[u8] = b"250-bench-sink\r\n250-PIPELINING\r\n250-CHUNKING\r\n\
250-8BITMIME\r\n250-SIZE 104857600\r\n250 ENHANCEDSTATUSCODES\r\n";
const TERMINATOR: &[u8] = b"\r\n.\r\n";
const MAX_LINE: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Command,
    /// Inside DATA; the last 4 bytes seen, to find the terminator across reads.
    Data([u8; 4]),
    /// Inside a BDAT chunk: bytes left, and whether it is the LAST one.
    Bdat(u64, bool),
}

/// One server session.
#[derive(Debug)]
pub struct Session {
    state: State,
    line: Vec<u8>,
    /// Replies not yet written.
    pub out: Vec<u8>,
    in_mail: bool,
    rcpts: usize,
    /// Messages accepted (250 after the data).
    pub accepted: u64,
    /// QUIT was answered.
    pub quit: bool,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// A session; its greeting is already in `out`.
    pub fn new() -> Session {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"220 bench-sink ESMTP\r\n");
        Session {
            state: State::Command,
            line: Vec::with_capacity(MAX_LINE),
            out,
            in_mail: false,
            rcpts: 0,
            accepted: 0,
            quit: false,
        }
    }

    /// Consumes everything the client sent.
    pub fn input(&mut self, mut data: &[u8]) {
        while !data.is_empty() && !self.quit {
            let used = match self.state {
                State::Command => self.command_bytes(data),
                State::Data(hist) => self.data_bytes(hist, data),
                State::Bdat(left, last) => self.bdat_bytes(left, last, data),
            };
            data = &data[used..];
        }
    }

    fn command_bytes(&mut self, data: &[u8]) -> usize {
        let Some(nl) = memchr::memchr(b'\n', data) else {
            self.line
                .extend_from_slice(&data[..data.len().min(MAX_LINE)]);
            return data.len();
        };
        if self.line.is_empty() {
            self.command(&data[..nl + 1]);
        } else {
            let mut line = std::mem::take(&mut self.line);
            line.extend_from_slice(&data[..nl + 1]);
            self.command(&line);
            line.clear();
            self.line = line;
        }
        nl + 1
    }

    fn reply(&mut self, r: &[u8]) {
        self.out.extend_from_slice(r);
    }

    fn command(&mut self, line: &[u8]) {
        let mut verb = [0u8; 4];
        if let Some(v) = line.get(..4) {
            verb.copy_from_slice(v);
            verb.make_ascii_uppercase();
        }
        match &verb {
            b"EHLO" => self.reply(EHLO_REPLY),
            b"HELO" => self.reply(b"250 bench-sink\r\n"),
            b"MAIL" => {
                self.in_mail = true;
                self.rcpts = 0;
                self.reply(b"250 2.1.0 Ok\r\n");
            }
            b"RCPT" if self.in_mail => {
                self.rcpts += 1;
                self.reply(b"250 2.1.5 Ok\r\n");
            }
            b"DATA" if self.rcpts > 0 => {
                self.state = State::Data(*b"xx\r\n");
                self.reply(b"354 End data with <CR><LF>.<CR><LF>\r\n");
            }
            b"BDAT" => self.bdat(line),
            b"RSET" => {
                self.end_transaction();
                self.reply(b"250 2.0.0 Ok\r\n");
            }
            b"NOOP" => self.reply(b"250 2.0.0 Ok\r\n"),
            b"QUIT" => {
                self.quit = true;
                self.reply(b"221 2.0.0 Bye\r\n");
            }
            b"RCPT" | b"DATA" => self.reply(b"503 5.5.1 Bad sequence of commands\r\n"),
            _ => self.reply(b"500 5.5.2 Command not recognized\r\n"),
        }
    }

    fn bdat(&mut self, line: &[u8]) {
        let text = std::str::from_utf8(line).unwrap_or("");
        let mut words = text.split_ascii_whitespace().skip(1);
        let size = words.next().and_then(|w| w.parse::<u64>().ok());
        let last = words.next().is_some_and(|w| w.eq_ignore_ascii_case("LAST"));
        match size {
            Some(n) => {
                self.state = State::Bdat(n, last);
                if n == 0 {
                    self.chunk_done(last);
                }
            }
            None => self.reply(b"501 5.5.4 Syntax: BDAT size [LAST]\r\n"),
        }
    }

    fn data_bytes(&mut self, hist: [u8; 4], data: &[u8]) -> usize {
        let mut join = [0u8; 8];
        let head = data.len().min(4);
        join[..4].copy_from_slice(&hist);
        join[4..4 + head].copy_from_slice(&data[..head]);
        let end = memmem::find(&join[..4 + head], TERMINATOR)
            .map(|p| p + TERMINATOR.len() - 4)
            .or_else(|| memmem::find(data, TERMINATOR).map(|p| p + TERMINATOR.len()));
        match end {
            Some(end) => {
                self.message_done();
                end
            }
            None => {
                let tail = &join[head..4 + head];
                let mut h = [0u8; 4];
                if data.len() >= 4 {
                    h.copy_from_slice(&data[data.len() - 4..]);
                } else {
                    h.copy_from_slice(tail);
                }
                self.state = State::Data(h);
                data.len()
            }
        }
    }

    fn bdat_bytes(&mut self, left: u64, last: bool, data: &[u8]) -> usize {
        let take = (data.len() as u64).min(left);
        if take == left {
            self.chunk_done(last);
        } else {
            self.state = State::Bdat(left - take, last);
        }
        take as usize
    }

    fn chunk_done(&mut self, last: bool) {
        self.state = State::Command;
        if self.rcpts == 0 {
            self.reply(b"503 5.5.1 No valid recipients\r\n");
        } else if last {
            self.message_done();
        } else {
            self.reply(b"250 2.0.0 Chunk accepted\r\n");
        }
    }

    fn message_done(&mut self) {
        self.state = State::Command;
        self.accepted += 1;
        self.end_transaction();
        self.reply(b"250 2.0.0 Ok: queued\r\n");
    }

    fn end_transaction(&mut self) {
        self.in_mail = false;
        self.rcpts = 0;
        if let State::Bdat(..) | State::Data(_) = self.state {
            self.state = State::Command;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> Session {
        let mut s = Session::new();
        for c in chunks {
            s.input(c);
        }
        s
    }

    #[test]
    fn data_terminator_across_every_split() {
        let all: &[u8] =
            b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhi\r\n..x\r\n.\r\nQUIT\r\n";
        for i in 0..all.len() {
            for j in i..all.len() {
                let s = run(&[&all[..i], &all[i..j], &all[j..]]);
                assert_eq!(s.accepted, 1, "split {i} {j}");
                assert!(s.quit);
            }
        }
    }

    #[test]
    fn bdat_pipelined() {
        let s = run(&[b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5 LAST\r\nab\r\n\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 2\r\nabBDAT 0 LAST\r\n"]);
        assert_eq!(s.accepted, 2);
        let text = String::from_utf8(s.out).unwrap();
        assert!(
            text.ends_with("250 2.0.0 Chunk accepted\r\n250 2.0.0 Ok: queued\r\n"),
            "{text}"
        );
    }

    #[test]
    fn data_without_recipient_is_refused() {
        let s = run(&[b"MAIL FROM:<a@b>\r\nDATA\r\n"]);
        assert!(String::from_utf8(s.out)
            .unwrap()
            .ends_with("503 5.5.1 Bad sequence of commands\r\n"));
    }
}
