//! Helpers the in-memory `Client` tests share: a session brought to ready, what it
//! wrote, what it reported, a simple envelope. Each test file uses some of them.

#![allow(dead_code)]

use smtp_proto::{
    Client, Config, Envelope, Event, ForwardPath, Host, Instant, Recipient, ReversePath,
};

/// The one instant these tests need: their sessions never wait.
pub const T0: Instant = Instant::ZERO;

/// What the session queued to write, taken as written.
pub fn take_output(c: &mut Client) -> String {
    let v = c.transmit().to_vec();
    c.transmitted(T0, v.len());
    String::from_utf8(v).unwrap()
}

/// Every event the session has for us now.
pub fn events(c: &mut Client) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// `a@example.org` to `b@example.net`.
pub fn envelope() -> Envelope {
    Envelope::new(
        ReversePath::parse("a@example.org").unwrap(),
        vec![Recipient::new(ForwardPath::parse("b@example.net").unwrap())],
    )
}

/// `a@example.org` to `r0@example.net` … `r{n-1}@example.net`.
pub fn envelope_to(n: usize) -> Envelope {
    let to = (0..n)
        .map(|i| Recipient::new(ForwardPath::parse(&format!("r{i}@example.net")).unwrap()))
        .collect();
    Envelope::new(ReversePath::parse("a@example.org").unwrap(), to)
}

/// A session past the greeting and EHLO, which offered the lines `caps` (each
/// `250-…\r\n`), with `Config::new("client.example")` adjusted by `tune` first; the
/// events so far are dropped. Ready unless `caps` and the configuration ask for more
/// (STARTTLS, AUTH).
pub fn ready_with(caps: &str, tune: impl FnOnce(&mut Config)) -> Client {
    let mut config = Config::new(Host::parse("client.example").unwrap());
    tune(&mut config);
    let mut c = Client::new(T0, config);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, format!("250-mx\r\n{caps}250 OK\r\n").as_bytes());
    events(&mut c);
    c
}
