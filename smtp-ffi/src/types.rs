//! What the caller hands in: configuration, envelopes, TLS facts, and the string
//! views handed out.
//!
//! Enum values going *in* are plain `uint32_t` fields checked on use, so a value C
//! made up is `SMTP_RESULT_INVALID_ARGUMENT`, never an invalid Rust enum.

use std::ffi::c_char;
use std::time::Duration;

use smtp_proto::command::BodyType;
use smtp_proto::sasl::{Login, Mechanism, Plain};
use smtp_proto::{
    Auth, ChannelBinding, ChannelBindingKind, Config, Envelope, ForwardPath, Host, Recipient,
    ReversePath, TlsFailureKind, TlsInfo, TlsMode, UsageError,
};

use crate::ptr;
use crate::result::smtp_result;

/// A UTF-8 string handed out by the library: `len` bytes at `ptr`, not
/// NUL-terminated. `ptr` is never NULL (an empty string points at a static byte).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct smtp_str {
    /// The first byte.
    pub ptr: *const c_char,
    /// How many bytes.
    pub len: usize,
}

impl smtp_str {
    /// The empty string.
    pub(crate) fn empty() -> smtp_str {
        smtp_str {
            ptr: c"".as_ptr(),
            len: 0,
        }
    }

    /// A view of `s`; valid while `s` is.
    pub(crate) fn of(s: &str) -> smtp_str {
        if s.is_empty() {
            return smtp_str::empty();
        }
        smtp_str {
            ptr: s.as_ptr().cast(),
            len: s.len(),
        }
    }
}

/// Bytes: `len` bytes at `ptr`. Handed out by the library, `ptr` is never NULL and
/// the bytes need not be UTF-8 (a server's reply text is passed on as received).
/// Handed in (a certificate), `ptr` may be NULL only when `len` is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct smtp_bytes {
    /// The first byte.
    pub ptr: *const u8,
    /// How many bytes.
    pub len: usize,
}

impl smtp_bytes {
    /// A view of `b`; valid while `b` is.
    pub(crate) fn of(b: &[u8]) -> smtp_bytes {
        if b.is_empty() {
            return smtp_bytes {
                ptr: c"".as_ptr().cast(),
                len: 0,
            };
        }
        smtp_bytes {
            ptr: b.as_ptr(),
            len: b.len(),
        }
    }
}

/// How the session uses TLS (the engine's rule 1): values of
/// `smtp_config::tls_mode`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum smtp_tls_mode {
    /// Never TLS; STARTTLS is not sent even when offered.
    None = 0,
    /// STARTTLS when the server offers it, plaintext otherwise (the default).
    Opportunistic = 1,
    /// STARTTLS always, even when not offered; refusal or failure ends the session.
    RequiredStartTls = 2,
    /// Implicit TLS (RFC 8314): the first event asks for the handshake.
    Immediate = 3,
}

/// AUTH mechanisms, as bits of `smtp_config::auth_mechanisms`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum smtp_auth_mechanism {
    /// PLAIN (RFC 4616): username and password in the initial response.
    Plain = 1,
    /// LOGIN: username and password answering two challenges.
    Login = 2,
}

/// One reply deadline to change from its RFC 5321 default.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct smtp_timeout {
    /// The phase: `greeting`, `ehlo`, `starttls`, `auth`, `mail`, `rcpt`,
    /// `data_init`, `data_block`, `data_term`, `rset`, `noop` or `quit`.
    pub phase: *const c_char,
    /// The deadline in milliseconds.
    pub ms: u64,
}

/// Everything fixed for one session. Fill it with `smtp_config_init`,
/// then set what you need; the library reads it only during
/// `smtp_client_new`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct smtp_config {
    /// The name sent with EHLO/HELO/LHLO (a domain or an address literal such as
    /// `[192.0.2.1]`). Required.
    pub hello_name: *const c_char,
    /// An `smtp_tls_mode` value. Default: opportunistic STARTTLS.
    pub tls_mode: u32,
    /// LMTP (RFC 2033): LHLO, and one reply per recipient after the data.
    pub lmtp: bool,
    /// Use PIPELINING when offered. Default: true.
    pub pipelining: bool,
    /// Use CHUNKING (BDAT) when offered. Default: true.
    pub chunking: bool,
    /// Let AUTH send the password over a session without TLS (only for a trusted
    /// local link). Default: false.
    pub allow_plaintext_auth: bool,
    /// Emit `SMTP_EVENT_KIND_TRACE` events for every line written and read (AUTH
    /// payloads redacted). Default: false.
    pub trace: bool,
    /// AUTH username; NULL for no AUTH. With a username, `password` is required.
    pub username: *const c_char,
    /// AUTH password.
    pub password: *const c_char,
    /// Which AUTH mechanisms may be used: an OR of `smtp_auth_mechanism` bits, 0 for
    /// all of them. PLAIN is preferred over LOGIN when the server offers both.
    pub auth_mechanisms: u32,
    /// Deadlines to change, `timeouts_len` of them; NULL when `timeouts_len` is 0.
    pub timeouts: *const smtp_timeout,
    /// How many entries `timeouts` has.
    pub timeouts_len: usize,
}

impl Default for smtp_config {
    fn default() -> smtp_config {
        smtp_config {
            hello_name: std::ptr::null(),
            tls_mode: smtp_tls_mode::Opportunistic as u32,
            lmtp: false,
            pipelining: true,
            chunking: true,
            allow_plaintext_auth: false,
            trace: false,
            username: std::ptr::null(),
            password: std::ptr::null(),
            auth_mechanisms: 0,
            timeouts: std::ptr::null(),
            timeouts_len: 0,
        }
    }
}

impl smtp_config {
    /// The engine's configuration and AUTH setup.
    ///
    /// # Safety
    ///
    /// Every pointer in `self` is NULL or valid as its field's documentation says.
    pub(crate) unsafe fn engine(&self) -> Result<(Config, Option<Auth>), smtp_result> {
        // SAFETY: the caller's contract for `hello_name`.
        let name = unsafe { ptr::str(self.hello_name) }?;
        let host = Host::parse(name).map_err(|_| smtp_result::InvalidArgument)?;
        let mut config = Config::new(host);
        config.tls = match self.tls_mode {
            0 => TlsMode::None,
            1 => TlsMode::Opportunistic,
            2 => TlsMode::RequiredStartTls,
            3 => TlsMode::Immediate,
            _ => return Err(smtp_result::InvalidArgument),
        };
        config.lmtp = self.lmtp;
        config.pipelining = self.pipelining;
        config.chunking = self.chunking;
        config.allow_plaintext_auth = self.allow_plaintext_auth;
        config.trace = self.trace;
        // SAFETY: the caller's contract for `timeouts` and `timeouts_len`.
        let timeouts = unsafe { ptr::slice(self.timeouts, self.timeouts_len) }?;
        for t in timeouts {
            // SAFETY: the caller's contract for each entry's `phase`.
            let phase = unsafe { ptr::str(t.phase) }?;
            if !config.timeouts.set(phase, Duration::from_millis(t.ms)) {
                return Err(smtp_result::InvalidArgument);
            }
        }
        // SAFETY: the caller's contract for `username` and `password`.
        let auth = unsafe { self.auth() }?;
        Ok((config, auth))
    }

    /// # Safety
    ///
    /// `username` and `password` are NULL or valid C strings.
    unsafe fn auth(&self) -> Result<Option<Auth>, smtp_result> {
        let all = smtp_auth_mechanism::Plain as u32 | smtp_auth_mechanism::Login as u32;
        if self.auth_mechanisms & !all != 0 {
            return Err(smtp_result::InvalidArgument);
        }
        // SAFETY: the caller's contract.
        let Some(user) = (unsafe { ptr::opt_str(self.username) })? else {
            return Ok(None);
        };
        // SAFETY: the caller's contract.
        let password = unsafe { ptr::str(self.password) }?;
        let allowed = if self.auth_mechanisms == 0 {
            all
        } else {
            self.auth_mechanisms
        };
        let bad = |_| smtp_result::InvalidArgument;
        let mut mechanisms: Vec<Box<dyn Mechanism + Send>> = Vec::new();
        if allowed & smtp_auth_mechanism::Plain as u32 != 0 {
            mechanisms.push(Box::new(Plain::new(None, user, password).map_err(bad)?));
        }
        if allowed & smtp_auth_mechanism::Login as u32 != 0 {
            mechanisms.push(Box::new(Login::new(user, password).map_err(bad)?));
        }
        Ok(Some(Auth::new(mechanisms)))
    }
}

/// One transaction's envelope, for `smtp_client_send`.
/// Read only during that call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct smtp_envelope {
    /// MAIL FROM: an address such as `a@example.org` (with or without `<>`), or `""`
    /// for the null reverse-path. Required.
    pub from: *const c_char,
    /// RCPT TO addresses, `to_len` of them, in order; events name recipients by
    /// their index here.
    pub to: *const *const c_char,
    /// How many entries `to` has.
    pub to_len: usize,
    /// The message size in octets, for `SIZE=`; 0 when unknown.
    pub size: u64,
    /// The body is 8-bit (`BODY=8BITMIME`).
    pub eightbitmime: bool,
    /// The message needs SMTPUTF8 (implied by a non-ASCII address).
    pub smtputf8: bool,
    /// REQUIRETLS (RFC 8689): needs TLS and the server's REQUIRETLS.
    pub requiretls: bool,
}

impl smtp_envelope {
    /// The engine's envelope. An address the engine refuses is a usage error,
    /// returned with its text.
    ///
    /// # Safety
    ///
    /// Every pointer in `self` is NULL or valid as its field's documentation says.
    pub(crate) unsafe fn engine(&self) -> Result<Envelope, (smtp_result, String)> {
        let plain = |code: smtp_result| (code, String::new());
        let usage = |e: UsageError| (smtp_result::usage(&e), e.to_string());
        // SAFETY: the caller's contract for `from`.
        let from = unsafe { ptr::str(self.from) }.map_err(plain)?;
        // SAFETY: the caller's contract for `to` and `to_len`.
        let to = unsafe { ptr::slice(self.to, self.to_len) }.map_err(plain)?;
        let mut recipients = Vec::with_capacity(to.len());
        for (i, p) in to.iter().enumerate() {
            // SAFETY: the caller's contract for each entry of `to`.
            let addr = unsafe { ptr::str(*p) }.map_err(|code| {
                let what = match code {
                    smtp_result::NullArgument => "is NULL",
                    _ => "is not UTF-8",
                };
                (code, format!("recipient {i} {what}"))
            })?;
            let path = ForwardPath::parse(addr).map_err(|e| usage(e.into()))?;
            recipients.push(Recipient::new(path));
        }
        let from = ReversePath::parse(from).map_err(|e| usage(e.into()))?;
        let mut env = Envelope::new(from, recipients);
        env.size = (self.size > 0).then_some(self.size);
        if self.eightbitmime {
            env.body = BodyType::EightBitMime;
        }
        env.smtputf8 = self.smtputf8;
        env.requiretls = self.requiretls;
        Ok(env)
    }
}

/// Channel binding types: values of `smtp_tls_info::channel_binding_kind`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum smtp_channel_binding_kind {
    /// No channel binding data.
    None = 0,
    /// `tls-exporter` (RFC 9266), for TLS 1.3.
    TlsExporter = 1,
    /// `tls-server-end-point` (RFC 5929).
    TlsServerEndPoint = 2,
    /// `tls-unique` (RFC 5929), TLS 1.2 only.
    TlsUnique = 3,
}

/// Facts about an established TLS session, for
/// `smtp_client_tls_established`; copied during
/// that call. Every field may be left NULL / 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct smtp_tls_info {
    /// The protocol version, e.g. `TLSv1.3`, for logs; may be NULL.
    pub protocol: *const c_char,
    /// The cipher suite, for logs; may be NULL.
    pub cipher_suite: *const c_char,
    /// An `smtp_channel_binding_kind` value; `NONE` when there is no binding.
    pub channel_binding_kind: u32,
    /// The channel binding data, `channel_binding_len` bytes (for SCRAM-PLUS).
    pub channel_binding: *const u8,
    /// How many bytes `channel_binding` has.
    pub channel_binding_len: usize,
    /// The server's certificate chain, DER, leaf first; `peer_certificates_len`
    /// entries.
    pub peer_certificates: *const smtp_bytes,
    /// How many entries `peer_certificates` has.
    pub peer_certificates_len: usize,
}

impl smtp_tls_info {
    /// The engine's TLS facts (copied).
    ///
    /// # Safety
    ///
    /// Every pointer in `self` is NULL or valid as its field's documentation says.
    pub(crate) unsafe fn engine(&self) -> Result<TlsInfo, smtp_result> {
        let mut info = TlsInfo::default();
        // SAFETY: the caller's contract for `protocol` and `cipher_suite`.
        info.protocol = unsafe { ptr::opt_str(self.protocol) }?.map(String::from);
        // SAFETY: as above.
        info.cipher_suite = unsafe { ptr::opt_str(self.cipher_suite) }?.map(String::from);
        // SAFETY: the caller's contract for `channel_binding` and its length.
        let binding = unsafe { ptr::slice(self.channel_binding, self.channel_binding_len) }?;
        let kind = match self.channel_binding_kind {
            0 if binding.is_empty() => None,
            1 => Some(ChannelBindingKind::TlsExporter),
            2 => Some(ChannelBindingKind::TlsServerEndPoint),
            3 => Some(ChannelBindingKind::TlsUnique),
            _ => return Err(smtp_result::InvalidArgument),
        };
        info.channel_binding = kind.map(|kind| ChannelBinding {
            kind,
            data: binding.to_vec(),
        });
        // SAFETY: the caller's contract for `peer_certificates` and its length.
        let certs = unsafe { ptr::slice(self.peer_certificates, self.peer_certificates_len) }?;
        for c in certs {
            // SAFETY: the caller's contract for each certificate.
            let der = unsafe { ptr::slice(c.ptr, c.len) }?;
            info.peer_certificates.push(der.to_vec());
        }
        Ok(info)
    }
}

/// Why a TLS handshake failed (RFC 8460 §4.3 result types), for
/// `smtp_client_tls_failed`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum smtp_tls_failure_kind {
    /// The handshake itself failed.
    Handshake = 0,
    /// `certificate-host-mismatch`
    CertificateHostMismatch = 1,
    /// `certificate-expired`
    CertificateExpired = 2,
    /// `certificate-not-trusted`
    CertificateNotTrusted = 3,
    /// `validation-failure`
    ValidationFailure = 4,
    /// `tlsa-invalid`
    TlsaInvalid = 5,
    /// `dnssec-invalid`
    DnssecInvalid = 6,
    /// `dane-required`
    DaneRequired = 7,
}

impl smtp_tls_failure_kind {
    /// The engine's kind for a value C passed.
    pub(crate) fn from_u32(v: u32) -> Result<TlsFailureKind, smtp_result> {
        Ok(match v {
            0 => TlsFailureKind::Handshake,
            1 => TlsFailureKind::CertificateHostMismatch,
            2 => TlsFailureKind::CertificateExpired,
            3 => TlsFailureKind::CertificateNotTrusted,
            4 => TlsFailureKind::ValidationFailure,
            5 => TlsFailureKind::TlsaInvalid,
            6 => TlsFailureKind::DnssecInvalid,
            7 => TlsFailureKind::DaneRequired,
            _ => return Err(smtp_result::InvalidArgument),
        })
    }
}

/// The structs whose size `smtp_struct_size` reports.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum smtp_struct {
    /// `smtp_config`
    Config = 0,
    /// `smtp_envelope`
    Envelope = 1,
    /// `smtp_tls_info`
    TlsInfo = 2,
    /// `smtp_timeout`
    Timeout = 3,
    /// `smtp_event`
    Event = 4,
    /// `smtp_error`
    Error = 5,
    /// `smtp_reply`
    Reply = 6,
    /// `smtp_capabilities`
    Capabilities = 7,
    /// `smtp_str` (and `smtp_bytes`, the same size)
    Str = 8,
}
