//! No secret in any `Debug`, `Display` or trace (rule 11): PLAIN, LOGIN, XOAUTH2,
//! OAUTHBEARER and SCRAM-SHA-256 sessions are driven step by step, and after every
//! step the `{:?}` of the client, of every event so far and of every error is
//! searched for the secret, its base64 at each alignment, and every base64 payload
//! the client wrote.

use base64::Engine as _;
use smtp_proto::sasl::{Login, Mechanism, OAuthBearer, Plain, Scram, ScramHash, XOAuth2};
use smtp_proto::{Auth, Client, Config, Event, Host, Instant, TlsInfo, TlsMode};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const T0: Instant = Instant::ZERO;

/// What may not appear: the secret, its base64 whatever bytes precede it (the
/// stable middle of the encoding at each of the three alignments), and the payloads.
fn needles(secret: &str, payloads: &[String]) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    for pad in 0..3 {
        let mut bytes = vec![b'x'; pad];
        bytes.extend_from_slice(secret.as_bytes());
        let enc = B64.encode(&bytes);
        // Skip the characters that mix padding bytes in, and the tail.
        let start = (pad * 4).div_ceil(3) + 1;
        let end = enc.len().saturating_sub(4);
        if end > start + 4 {
            out.push(enc[start..end].to_string());
        }
    }
    out.extend(payloads.iter().filter(|p| p.len() > 8).cloned());
    out
}

struct Run {
    client: Client,
    events: Vec<Event>,
    payloads: Vec<String>,
    secret: String,
}

impl Run {
    fn new(mech: Box<dyn Mechanism + Send>, offered: &str, secret: &str) -> Run {
        let mut config = Config::new(Host::parse("client.example").unwrap());
        config.tls = TlsMode::RequiredStartTls;
        config.trace = true;
        let mut client = Client::new(T0, config);
        client.set_auth(Auth::new(vec![mech])).unwrap();
        let mut run = Run {
            client,
            events: Vec::new(),
            payloads: Vec::new(),
            secret: secret.to_string(),
        };
        run.server("220 mx\r\n");
        run.server("250-mx\r\n250 STARTTLS\r\n");
        run.server("220 go\r\n");
        run.client.tls_established(T0, TlsInfo::default());
        run.check("after TLS");
        run.server(&format!("250-mx\r\n250 AUTH {offered}\r\n"));
        run
    }

    /// Takes what the client wrote, remembering base64 payloads, then checks.
    fn take(&mut self) -> String {
        let out = String::from_utf8(self.client.transmit().to_vec()).unwrap();
        let n = out.len();
        self.client.transmitted(T0, n);
        for line in out.lines() {
            // The AUTH line's initial response, or a bare response to a 334.
            let payload = match line.strip_prefix("AUTH ") {
                Some(rest) => rest.rsplit(' ').next().unwrap_or(""),
                None if !line.contains(' ') && !["STARTTLS", "QUIT", "*"].contains(&line) => line,
                None => "",
            };
            self.payloads.push(payload.to_string());
        }
        self.check("after writing");
        out
    }

    fn server(&mut self, bytes: &str) {
        self.take();
        self.client.receive(T0, bytes.as_bytes());
        self.check(&format!("after {bytes:?}"));
    }

    fn check(&mut self, when: &str) {
        self.events
            .extend(std::iter::from_fn(|| self.client.poll_event()));
        let mut dumps = vec![format!("{:?}", self.client), format!("{:?}", self.events)];
        for e in &self.events {
            if let Event::Closed { error: Some(err) } = e {
                dumps.push(format!("{err} {err:?}"));
            }
        }
        for needle in needles(&self.secret, &self.payloads) {
            for d in &dumps {
                assert!(!d.contains(&needle), "{when}: {needle:?} shows in {d}");
            }
        }
    }

    /// Authenticated, and the search had real payloads to look for.
    fn authenticated(&self) -> bool {
        assert!(
            self.payloads.iter().any(|p| p.len() > 8),
            "no AUTH payload was seen: {:?}",
            self.payloads
        );
        self.client.is_authenticated()
    }
}

#[test]
fn plain_and_login_never_show_the_password() {
    let pw = "correct-horse-battery";
    let mut r = Run::new(
        Box::new(Plain::new(None, "alice", pw).unwrap()),
        "PLAIN",
        pw,
    );
    r.server("235 ok\r\n");
    assert!(r.authenticated());

    let mut r = Run::new(Box::new(Login::new("alice", pw).unwrap()), "LOGIN", pw);
    r.server("334 VXNlcm5hbWU6\r\n");
    r.server("334 UGFzc3dvcmQ6\r\n");
    r.server("235 ok\r\n");
    assert!(r.authenticated());
}

#[test]
fn bearer_tokens_never_show_even_when_refused() {
    let token = "ya29.a0AfH6SMBx3kq7tokenvalue";
    let mut r = Run::new(
        Box::new(XOAuth2::new("alice@example.org", token).unwrap()),
        "XOAUTH2",
        token,
    );
    // An error challenge, the empty answer, then the final refusal.
    r.server("334 eyJzdGF0dXMiOiI0MDEifQ==\r\n");
    r.server("535 5.7.8 bad token\r\n");
    assert!(!r.authenticated());

    let mut r = Run::new(
        Box::new(OAuthBearer::new("alice@example.org", Some("mx"), Some(587), token).unwrap()),
        "OAUTHBEARER",
        token,
    );
    r.server("235 ok\r\n");
    assert!(r.authenticated());
}

#[test]
fn scram_never_shows_the_password() {
    let pw = "pencil";
    let mech = Scram::new(
        ScramHash::Sha256,
        false,
        None,
        "user",
        pw,
        "rOprNGfwEbeRWgbNEkqO",
    )
    .unwrap();
    let mut r = Run::new(Box::new(mech), "SCRAM-SHA-256", pw);
    r.server(
        "334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=\r\n",
    );
    r.server("334 dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==\r\n");
    r.server("235 ok\r\n");
    assert!(r.authenticated());
}
