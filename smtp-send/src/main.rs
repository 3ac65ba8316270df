//! `smtp-send`: sends one message with smtp-engine's blocking driver and prints the
//! whole session, like swaks. Run with no arguments, it starts an embedded loopback
//! server and delivers a sample message to it. Exit status 0 only when every
//! recipient accepted the message.

mod args;
mod insecure;
mod loopback;
mod output;

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use smtp_io_std::{rustls_upgrade, tls, Connection, Delivery, DriverError};
use smtp_proto::sasl::{Login, Mechanism, OAuthBearer, Plain, Scram, ScramHash, XOAuth2};
use smtp_proto::{
    command::BodyType, Auth, Config, Envelope, ForwardPath, Host, Recipient, ReversePath, TlsMode,
};

use args::{Args, Tls};

type Failure = Box<dyn std::error::Error + Send + Sync>;

const SAMPLE: &str = "From: sender@example.org\r\nTo: recipient@example.net\r\nSubject: hello from smtp-send\r\n\r\nA sample message, delivered by smtp-engine.\r\n.A line that starts with a dot goes out dot-stuffed.\r\n";
/// The system's CA bundle on Debian and its derivatives.
const SYSTEM_CA: &str = "/etc/ssl/certs/ca-certificates.crt";

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("smtp-send: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(mut args: Args) -> Result<bool, Failure> {
    let loopback = if args.server.is_none() {
        let (addr, handle) = loopback::start()?;
        if !args.json {
            println!("-- no --server given: delivering a sample message to an embedded loopback server at {addr}");
        }
        args.server = Some(addr.to_string());
        if args.to.is_empty() {
            args.to.push("recipient@example.net".into());
        }
        Some(handle)
    } else {
        None
    };
    if args.to.is_empty() {
        return Err("give at least one --to".into());
    }
    let server = args.server.clone().unwrap_or_default();
    let addr = if server.contains(':') {
        server.clone()
    } else {
        format!("{server}:25")
    };
    let outcome = deliver(&args, &addr);
    let ok = output::result(&args.to, &outcome, args.json);
    if let Some(handle) = loopback {
        if let Ok(Ok(stored)) = handle.join() {
            if !args.json {
                for m in stored {
                    println!(
                        "-- the loopback server stored {} bytes for {}",
                        m.bytes.len(),
                        m.recipients.join(", ")
                    );
                }
            }
        }
    }
    Ok(ok)
}

fn deliver(args: &Args, addr: &str) -> Result<Delivery, DriverError> {
    let config = config(args).map_err(|e| usage(&e))?;
    let json = args.json;
    let mut options = Connection::options(config).on_trace(move |t| output::trace(t, json));
    if args.tls != Tls::None {
        let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
        let name = args
            .tls_name
            .clone()
            .unwrap_or_else(|| host.trim_matches(['[', ']']).to_string());
        let upgrade = rustls_upgrade(tls_config(args).map_err(|e| usage(&e))?, &name)
            .map_err(|e| usage(&e.to_string()))?;
        options = options.tls_upgrade(upgrade);
    }
    if let Some(auth) = auth(args).map_err(|e| usage(&e))? {
        options = options.auth(auth);
    }
    let mut conn = options.connect(addr, Duration::from_secs(args.connect_timeout))?;
    let body = body(args).map_err(|e| usage(&e))?;
    let mut envelope = envelope(args).map_err(|e| usage(&e))?;
    // SIZE= goes out when offered (RFC 1870); a message over the server's limit is
    // refused before MAIL.
    envelope.size = Some(body.len() as u64);
    let delivery = conn.send(envelope, &mut &body[..])?;
    let _ = conn.quit();
    Ok(delivery)
}

fn usage(detail: &str) -> DriverError {
    DriverError::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        detail.to_string(),
    ))
}

fn config(args: &Args) -> Result<Config, String> {
    let mut c = Config::new(Host::parse(&args.ehlo).map_err(|e| format!("--ehlo: {e}"))?);
    c.tls = match args.tls {
        Tls::None => TlsMode::None,
        Tls::Opportunistic => TlsMode::Opportunistic,
        Tls::Starttls => TlsMode::RequiredStartTls,
        Tls::Implicit => TlsMode::Immediate,
    };
    c.lmtp = args.lmtp;
    c.pipelining = !args.no_pipelining;
    c.chunking = !args.no_chunking;
    c.allow_plaintext_auth = args.allow_plaintext_auth;
    Ok(c)
}

fn tls_config(args: &Args) -> Result<Arc<rustls::ClientConfig>, String> {
    if args.insecure {
        return Ok(insecure::client_config());
    }
    let path = args.ca.clone().unwrap_or_else(|| SYSTEM_CA.into());
    if !path.exists() && args.ca.is_none() {
        return Ok(Arc::new(tls::client_config(rustls::RootCertStore::empty())));
    }
    tls::client_config_from_pem(&path).map_err(|e| format!("--ca {}: {e}", path.display()))
}

fn auth(args: &Args) -> Result<Option<Auth>, String> {
    let Some(mech) = args.auth.as_deref() else {
        return Ok(None);
    };
    let user = args.user.as_deref().unwrap_or("");
    let secret = args
        .password
        .as_deref()
        .ok_or("--auth needs --password or SMTP_SEND_PASSWORD")?;
    let bad = |e: smtp_proto::sasl::SaslError| format!("--auth {mech}: {e}");
    let m: Box<dyn Mechanism + Send> = match mech.to_ascii_uppercase().as_str() {
        "PLAIN" => Box::new(Plain::new(None, user, secret).map_err(bad)?),
        "LOGIN" => Box::new(Login::new(user, secret).map_err(bad)?),
        "XOAUTH2" => Box::new(XOAuth2::new(user, secret).map_err(bad)?),
        "OAUTHBEARER" => Box::new(OAuthBearer::new(user, None, None, secret).map_err(bad)?),
        "SCRAM-SHA-256" | "SCRAM-SHA-1" => {
            let hash = if mech.eq_ignore_ascii_case("SCRAM-SHA-1") {
                ScramHash::Sha1
            } else {
                ScramHash::Sha256
            };
            Box::new(Scram::new(hash, false, None, user, secret, &nonce()).map_err(bad)?)
        }
        other => return Err(format!("--auth: unsupported mechanism {other}")),
    };
    Ok(Some(Auth::new(vec![m])))
}

/// A SCRAM client nonce from the OS's randomness (printable, no comma).
fn nonce() -> String {
    let mut bytes = [0u8; 18];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        bytes[..16].copy_from_slice(&t.as_nanos().to_le_bytes());
    }
    bytes.iter().map(|b| char::from(b'A' + b % 26)).collect()
}

fn envelope(args: &Args) -> Result<Envelope, String> {
    let from = ReversePath::parse(&args.from).map_err(|e| format!("--from: {e}"))?;
    let mut to = Vec::new();
    for t in &args.to {
        to.push(Recipient::new(
            ForwardPath::parse(t).map_err(|e| format!("--to {t}: {e}"))?,
        ));
    }
    let mut env = Envelope::new(from, to);
    if args.eight_bit_mime {
        env.body = BodyType::EightBitMime;
    }
    env.smtputf8 = args.smtputf8;
    env.requiretls = args.requiretls;
    Ok(env)
}

fn body(args: &Args) -> Result<Vec<u8>, String> {
    match args.data.as_deref() {
        None => Ok(SAMPLE.as_bytes().to_vec()),
        Some("-") => {
            let mut v = Vec::new();
            std::io::stdin()
                .read_to_end(&mut v)
                .map_err(|e| format!("stdin: {e}"))?;
            Ok(v)
        }
        Some(path) => std::fs::read(path).map_err(|e| format!("--data {path}: {e}")),
    }
}
