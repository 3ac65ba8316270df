//! The driver against an in-memory scripted server: a read when the server has
//! nothing to say is an error, so a driver that blocks on read before writing what
//! the engine queued fails here instead of hanging.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use smtp_io_std::{Connection, Stream, TlsUpgrade};
use smtp_proto::{Config, Envelope, ForwardPath, Host, Recipient, ReversePath, TlsInfo, TlsMode};

#[derive(Default)]
struct Script {
    out: Vec<u8>,
    line: Vec<u8>,
    in_data: bool,
    tls: bool,
    log: Vec<String>,
}

impl Script {
    fn on_line(&mut self, line: &str) {
        self.log.push(line.to_string());
        if self.in_data {
            if line == "." {
                self.in_data = false;
                self.out.extend_from_slice(b"250 2.0.0 queued\r\n");
            }
            return;
        }
        let reply: &[u8] = match line.split(' ').next().unwrap_or("") {
            "EHLO" if self.tls => b"250-mx\r\n250 PIPELINING\r\n",
            "EHLO" => b"250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
            "STARTTLS" => b"220 go ahead\r\n",
            "MAIL" | "RCPT" => b"250 ok\r\n",
            "DATA" => {
                self.in_data = true;
                b"354 go\r\n"
            }
            "QUIT" => b"221 bye\r\n",
            _ => b"500 what\r\n",
        };
        self.out.extend_from_slice(reply);
    }
}

#[derive(Clone)]
struct Fake(Arc<Mutex<Script>>);

impl Read for Fake {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut s = self.0.lock().unwrap();
        if s.out.is_empty() {
            return Err(io::Error::other(format!(
                "read while the server has nothing to say; saw {:?}",
                s.log
            )));
        }
        let n = buf.len().min(s.out.len());
        buf[..n].copy_from_slice(&s.out[..n]);
        s.out.drain(..n);
        Ok(n)
    }
}

impl Write for Fake {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut s = self.0.lock().unwrap();
        for &b in buf {
            s.line.push(b);
            if b == b'\n' {
                let line = String::from_utf8_lossy(&s.line).trim_end().to_string();
                s.line.clear();
                s.on_line(&line);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream for Fake {}

fn fake() -> Fake {
    let s = Script {
        out: b"220 mx ESMTP\r\n".to_vec(),
        ..Script::default()
    };
    Fake(Arc::new(Mutex::new(s)))
}

fn envelope() -> Envelope {
    Envelope::new(
        ReversePath::parse("a@example.org").unwrap(),
        vec![Recipient::new(ForwardPath::parse("b@example.net").unwrap())],
    )
}

#[test]
fn opens_sends_and_quits() {
    let f = fake();
    // The default would upgrade: this test is about the plaintext path.
    let mut config = Config::new(Host::parse("c.example").unwrap());
    config.tls = TlsMode::None;
    let mut c = Connection::open(Box::new(f.clone()), config, None, None).unwrap();
    let d = c
        .send_mail(envelope(), &mut &b"hello\r\n.dot\r\n"[..])
        .unwrap();
    assert_eq!(d.result.unwrap().code, 250);
    c.quit().unwrap();
    let log = f.0.lock().unwrap().log.clone();
    assert!(log.contains(&"..dot".to_string()), "{log:?}");
}

#[test]
fn writes_ehlo_after_the_tls_upgrade_before_reading() {
    let f = fake();
    let state = f.0.clone();
    // A stand-in upgrade: same stream, marked as TLS.
    let upgrade: TlsUpgrade = Box::new(move |s: Box<dyn Stream>| {
        state.lock().unwrap().tls = true;
        Ok((s, TlsInfo::default()))
    });
    let mut config = Config::new(Host::parse("c.example").unwrap());
    config.tls = TlsMode::RequiredStartTls;
    let c = Connection::open(Box::new(f.clone()), config, Some(upgrade), None).unwrap();
    assert!(c.client().tls_info().is_some());
    let log = f.0.lock().unwrap().log.clone();
    assert_eq!(log, ["EHLO c.example", "STARTTLS", "EHLO c.example"]);
}
