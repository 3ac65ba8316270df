//! The transcript case format (`tests/TRANSCRIPTS.md`), as serde types. Unknown
//! fields are errors, so a typo cannot pass silently.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One transcript case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique name.
    pub id: String,
    /// What the case shows, and where the rule comes from.
    #[serde(default)]
    pub about: String,
    /// Session configuration.
    #[serde(default)]
    pub config: CaseConfig,
    /// Requests, in order.
    #[serde(default)]
    pub ops: Vec<Op>,
    /// The conversation.
    pub script: Vec<Step>,
    /// One outcome per op.
    #[serde(default)]
    pub expect: Vec<Outcome>,
    /// End-state checks.
    #[serde(default)]
    pub session: Option<SessionCheck>,
}

/// `config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseConfig {
    /// `none`, `opportunistic`, `required-starttls`, `immediate`.
    pub tls: Option<String>,
    /// EHLO/HELO/LHLO name.
    pub ehlo: Option<String>,
    /// LMTP.
    #[serde(default)]
    pub lmtp: bool,
    /// AUTH settings.
    pub auth: Option<AuthConfig>,
    /// `true` lets AUTH run over a session without TLS.
    #[serde(default)]
    pub allow_plaintext_auth: bool,
    /// `false` forbids PIPELINING.
    pub pipelining: Option<bool>,
    /// `false` forbids CHUNKING.
    pub chunking: Option<bool>,
    /// Per-phase deadline overrides in milliseconds.
    pub timeouts_ms: Option<BTreeMap<String, u64>>,
}

/// `config.auth`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Mechanism name.
    pub mechanism: String,
    /// User name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Bearer token (XOAUTH2, OAUTHBEARER).
    pub token: Option<String>,
    /// Client nonce (SCRAM).
    pub nonce: Option<String>,
    /// The lowest iteration count accepted (SCRAM); the library default when absent.
    pub iteration_floor: Option<u32>,
}

/// A recipient in a `send` op: a bare address or an object with DSN fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RcptSpec {
    /// `"b@example.net"`
    Plain(String),
    /// `{ "to": ..., "notify": [...], "orcpt": "rfc822;..." }`
    Full(RcptObject),
}

/// A recipient with DSN parameters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RcptObject {
    /// Address.
    pub to: String,
    /// NOTIFY values.
    pub notify: Option<Vec<String>>,
    /// ORCPT value, unencoded `type;address`.
    pub orcpt: Option<String>,
}

/// One op.
// Ops are parsed once per case and never moved in bulk; boxing `Send` buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Op {
    /// Start a transaction.
    Send {
        /// MAIL FROM (may be empty for `<>`).
        from: String,
        /// RCPT TO list.
        to: Vec<RcptSpec>,
        /// Message body (JSON string; bytes as UTF-8).
        #[serde(default)]
        body: String,
        /// Needs 8BITMIME.
        #[serde(default)]
        eightbitmime: bool,
        /// Binary body: BINARYMIME.
        #[serde(default)]
        binarymime: bool,
        /// Needs SMTPUTF8.
        #[serde(default)]
        smtputf8: bool,
        /// REQUIRETLS.
        #[serde(default)]
        requiretls: bool,
        /// Declared size.
        size: Option<u64>,
        /// DSN RET.
        ret: Option<String>,
        /// DSN ENVID.
        envid: Option<String>,
        /// MT-PRIORITY.
        mt_priority: Option<i8>,
        /// DELIVERBY `BY=` value, e.g. `"120;R"` or `"-10;NT"`.
        by: Option<String>,
        /// FUTURERELEASE `HOLDFOR=` seconds.
        holdfor: Option<u64>,
        /// FUTURERELEASE `HOLDUNTIL=` date-time.
        holduntil: Option<String>,
    },
    /// RSET.
    Reset {},
    /// NOOP.
    Noop {},
    /// QUIT.
    Quit {},
}

/// One script step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A server line (CRLF appended).
    pub server: Option<String>,
    /// Exact server bytes.
    pub server_raw: Option<String>,
    /// The client's next line (CRLF appended).
    pub client: Option<String>,
    /// The client's next bytes, exactly.
    pub client_raw: Option<String>,
    /// The client has nothing to write.
    pub client_none: Option<bool>,
    /// `ok` or `fail`: the caller's TLS handshake.
    pub tls: Option<String>,
    /// The server closed.
    pub eof: Option<bool>,
    /// Time passes.
    pub advance_ms: Option<u64>,
}

/// Expected outcome of one op; only given fields are checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// Success.
    pub ok: Option<bool>,
    /// Failure kind.
    pub kind: Option<String>,
    /// Permanent failure.
    pub permanent: Option<bool>,
    /// Reply code.
    pub code: Option<u16>,
    /// Enhanced code (`null` = none).
    #[serde(default, deserialize_with = "present")]
    pub enhanced: Option<Option<String>>,
    /// Verb the failing reply answered.
    pub command: Option<String>,
    /// Per-recipient outcomes.
    pub recipients: Option<Vec<RcptOutcome>>,
}

/// Expected per-recipient outcome.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RcptOutcome {
    /// Accepted (and, for LMTP, delivered).
    pub ok: Option<bool>,
    /// Reply code.
    pub code: Option<u16>,
    /// Enhanced code (`null` = none).
    #[serde(default, deserialize_with = "present")]
    pub enhanced: Option<Option<String>>,
    /// Permanent failure.
    pub permanent: Option<bool>,
    /// Failure kind.
    pub kind: Option<String>,
}

/// `session`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionCheck {
    /// The session is over.
    pub closed: Option<bool>,
    /// It ended botched.
    pub botched: Option<bool>,
    /// TLS is up.
    pub tls: Option<bool>,
    /// Authenticated.
    pub auth: Option<bool>,
}

/// Distinguishes a field given as `null` (Some(None)) from one not given (None).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?))
}
