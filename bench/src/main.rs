//! Side-by-side throughput: smtp-engine (smtp-io-std driver), lettre's blocking
//! `SmtpTransport` (pooled) and Python's standard `smtplib`, each sending the same
//! messages over one connection to Postfix `smtp-sink` on 127.0.0.1:2526, in one run.
//! Reports messages per second and ratios to smtp-engine (best of several rounds).
//!
//! `scripts/interop-servers.sh && cargo run --release -p smtp-bench -- [MESSAGES] [BODY_BYTES]`

use std::process::Command;
use std::time::{Duration, Instant};

use lettre::address::Envelope as LettreEnvelope;
use lettre::{SmtpTransport, Transport};
use smtp_io_std::Connection;
use smtp_proto::{Config, Envelope, ForwardPath, Host, Recipient, ReversePath, TlsMode};

const PORT: u16 = 2526;
const ROUNDS: usize = 3;

fn body(size: usize) -> Vec<u8> {
    let line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n";
    let mut b = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: bench\r\n\r\n".to_vec();
    b.extend(line.iter().copied().cycle().take(size));
    b
}

fn engine(n: usize, msg: &[u8]) -> Duration {
    let start = Instant::now();
    let mut config = Config::new(Host::parse("bench.example").unwrap());
    config.tls = TlsMode::None;
    let mut c = Connection::options(config)
        .connect(("127.0.0.1", PORT), Duration::from_secs(5))
        .expect("smtp-sink on 2526");
    for _ in 0..n {
        let env = Envelope::new(
            ReversePath::parse("a@example.org").unwrap(),
            vec![Recipient::new(ForwardPath::parse("b@example.net").unwrap())],
        );
        let d = c.send(env, &mut &msg[..]).unwrap();
        assert!(d.all_accepted());
    }
    c.quit().unwrap();
    start.elapsed()
}

fn lettre(n: usize, msg: &[u8]) -> Duration {
    let t = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(PORT)
        .build();
    let env = LettreEnvelope::new(
        Some("a@example.org".parse().unwrap()),
        vec!["b@example.net".parse().unwrap()],
    )
    .unwrap();
    let start = Instant::now();
    for _ in 0..n {
        t.send_raw(&env, msg).unwrap();
    }
    start.elapsed()
}

fn python_smtplib(n: usize, size: usize) -> Option<Duration> {
    let script = format!(
        r#"
import smtplib, time
line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n"
body = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: bench\r\n\r\n" + (line * ({size} // len(line) + 1))[:{size}]
t = time.perf_counter()
s = smtplib.SMTP("127.0.0.1", {PORT})
for _ in range({n}):
    s.sendmail("a@example.org", ["b@example.net"], body)
s.quit()
print(time.perf_counter() - t)
"#
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .output()
        .ok()?;
    let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some(Duration::from_secs_f64(secs))
}

fn best(mut f: impl FnMut() -> Option<Duration>) -> Option<Duration> {
    (0..ROUNDS).filter_map(|_| f()).min()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(2000);
    let size = args.get(1).copied().unwrap_or(10_000);
    let msg = body(size);
    println!(
        "{n} messages of {} bytes, one connection, smtp-sink on 127.0.0.1:{PORT}, best of {ROUNDS}",
        msg.len()
    );
    let ours = best(|| Some(engine(n, &msg))).expect("engine run");
    let results = [
        ("smtp-engine (smtp-io-std)", Some(ours)),
        ("lettre 0.11 SmtpTransport", best(|| Some(lettre(n, &msg)))),
        ("python3 smtplib", best(|| python_smtplib(n, size))),
    ];
    for (name, d) in results {
        match d {
            Some(d) => println!(
                "{name:28} {:9.0} msg/s   time ratio to smtp-engine: {:.2}",
                n as f64 / d.as_secs_f64(),
                d.as_secs_f64() / ours.as_secs_f64()
            ),
            None => println!("{name:28} unavailable"),
        }
    }
}
