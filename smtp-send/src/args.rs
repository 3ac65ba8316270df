//! The command line, swaks-style.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Sends one message over SMTP or LMTP and prints the whole session. Without
/// `--server` it starts a small loopback server in-process and delivers a sample
/// message to it, so the first run shows a real session over a real socket.
#[derive(Debug, Parser)]
#[command(name = "smtp-send", version)]
pub struct Args {
    /// The server, `host:port` (port 25 if left out). Without it: an embedded
    /// loopback server.
    #[arg(long)]
    pub server: Option<String>,
    /// How to use TLS.
    #[arg(long, value_enum, default_value_t = Tls::Opportunistic)]
    pub tls: Tls,
    /// The name the server's certificate must carry (default: the server's host).
    #[arg(long)]
    pub tls_name: Option<String>,
    /// PEM file of CA certificates to trust (default: the system's bundle).
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Accept any certificate (for tests only: no protection against an attacker).
    #[arg(long)]
    pub insecure: bool,
    /// The name to send with EHLO/LHLO.
    #[arg(long, default_value = "localhost")]
    pub ehlo: String,
    /// MAIL FROM (`""` for the null path).
    #[arg(long, default_value = "sender@example.org")]
    pub from: String,
    /// RCPT TO; repeat for more recipients.
    #[arg(long = "to")]
    pub to: Vec<String>,
    /// The message: a file, or `-` for standard input (default: a sample message).
    #[arg(long)]
    pub data: Option<String>,
    /// AUTH mechanism: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, SCRAM-SHA-256, SCRAM-SHA-1.
    #[arg(long)]
    pub auth: Option<String>,
    /// AUTH user name.
    #[arg(long)]
    pub user: Option<String>,
    /// AUTH password or token (better: the environment variable).
    #[arg(long, env = "SMTP_SEND_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Let AUTH send credentials over a session without TLS.
    #[arg(long)]
    pub allow_plaintext_auth: bool,
    /// Speak LMTP (RFC 2033).
    #[arg(long)]
    pub lmtp: bool,
    /// The message needs 8BITMIME.
    #[arg(long = "8bitmime")]
    pub eight_bit_mime: bool,
    /// The message needs SMTPUTF8.
    #[arg(long)]
    pub smtputf8: bool,
    /// REQUIRETLS (RFC 8689).
    #[arg(long)]
    pub requiretls: bool,
    /// Do not pipeline even when offered.
    #[arg(long)]
    pub no_pipelining: bool,
    /// Do not use BDAT even when offered.
    #[arg(long)]
    pub no_chunking: bool,
    /// One JSON object per line written or read, then a result object.
    #[arg(long)]
    pub json: bool,
    /// Seconds to wait for the connection.
    #[arg(long, default_value_t = 30)]
    pub connect_timeout: u64,
}

/// `--tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tls {
    /// Never TLS.
    None,
    /// STARTTLS when offered.
    Opportunistic,
    /// STARTTLS always; fail without it.
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
}
