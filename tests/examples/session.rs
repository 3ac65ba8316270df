//! The README's first command: drives one whole SMTP session in memory — the engine
//! against a small scripted server — and prints both sides of the conversation and
//! every event. No network, no clock: time is stepped by hand.
//!
//! `cargo run -p smtp-tests --example session`

use bytes::Bytes;
use smtp_proto::{
    Client, Config, Envelope, Event, ForwardPath, Host, Instant, Recipient, ReversePath,
};

/// A toy SMTP server: enough of RFC 5321 to answer one pipelined transaction.
struct DemoServer {
    in_data: bool,
    pending: Vec<u8>,
}

impl DemoServer {
    fn greeting() -> &'static [u8] {
        b"220 mx.example.net ESMTP demo\r\n"
    }

    /// Takes client bytes, returns the server's replies.
    fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = self.pending.drain(..end + 2).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
            out.extend_from_slice(self.answer(&line).as_bytes());
        }
        out
    }

    fn answer(&mut self, line: &str) -> String {
        if self.in_data {
            if line == "." {
                self.in_data = false;
                return "250 2.0.0 Ok: queued as 4XYZ\r\n".into();
            }
            return String::new();
        }
        let upper = line.to_ascii_uppercase();
        match upper.split(' ').next().unwrap_or("") {
            "EHLO" => "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n".into(),
            "MAIL" => "250 2.1.0 Ok\r\n".into(),
            "RCPT" if upper.contains("<NOBODY@") => "550 5.1.1 <nobody@example.net>: Recipient address rejected\r\n".into(),
            "RCPT" => "250 2.1.5 Ok\r\n".into(),
            "DATA" => {
                self.in_data = true;
                "354 End data with <CR><LF>.<CR><LF>\r\n".into()
            }
            "QUIT" => "221 2.0.0 Bye\r\n".into(),
            _ => "502 5.5.2 Error: command not recognized\r\n".into(),
        }
    }
}

fn print_side(prefix: &str, bytes: &[u8]) {
    for line in String::from_utf8_lossy(bytes).split_inclusive("\r\n") {
        println!("{prefix} {}", line.trim_end_matches("\r\n"));
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut now = Instant::ZERO;
    let mut client = Client::new(now, Config::new(Host::parse("client.example")?));
    let mut server = DemoServer {
        in_data: false,
        pending: Vec::new(),
    };
    let envelope = Envelope::new(
        ReversePath::parse("alice@example.org")?,
        vec![
            Recipient::new(ForwardPath::parse("bob@example.net")?),
            Recipient::new(ForwardPath::parse("nobody@example.net")?),
        ],
    );
    let mut message = Some(envelope);
    let mut body =
        Bytes::from_static(b"Subject: demo\r\n\r\nHello Bob.\r\n.leading dot is stuffed\r\n");

    print_side("S:", DemoServer::greeting());
    client.receive(now, DemoServer::greeting());
    loop {
        now = now.saturating_add(std::time::Duration::from_millis(1));
        while let Some(event) = client.poll_event() {
            println!("   event: {event:?}");
            match event {
                Event::Ready => match message.take() {
                    Some(env) => client.send(now, env)?,
                    None => client.quit(now)?,
                },
                Event::BodyWanted => {
                    while !body.is_empty() {
                        let n = client.body(now, body.clone())?;
                        let _ = body.split_to(n);
                    }
                    client.end_body(now)?;
                }
                Event::Closed { .. } => return Ok(()),
                _ => {}
            }
        }
        let out = client.transmit().to_vec();
        if out.is_empty() {
            return Err("the session stalled".into());
        }
        client.transmitted(now, out.len());
        print_side("C:", &out);
        let reply = server.feed(&out);
        if !reply.is_empty() {
            print_side("S:", &reply);
            client.receive(now, &reply);
        }
    }
}
