"""The sans-IO client: bytes and facts in, bytes, events and a timer out.

``now`` is seconds on a monotonic clock (``time.monotonic()``, or an asyncio loop's
``loop.time()``, which is the same clock by default); every method that takes it
defaults to ``time.monotonic()``. Use one clock for the whole session.
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass, field
from typing import Iterator, Mapping, Optional, Sequence, Union

from . import _ffi
from ._ffi import lib
from .events import (
    Authenticated,
    BodyWanted,
    Capabilities,
    Closed,
    CommandDone,
    CommandFailed,
    Delivered,
    EnginePanic,
    Event,
    Greeting,
    InvalidArgument,
    Other,
    Ready,
    RecipientAccepted,
    RecipientRejected,
    Reply,
    SessionError,
    StartTls,
    Trace,
    TransactionFailed,
    UsageError,
)

BytesLike = Union[bytes, bytearray, memoryview]

_TLS_ALIASES = {
    "none": "none",
    "opportunistic": "opportunistic",
    "required": "required-starttls",
    "required-starttls": "required-starttls",
    "starttls": "required-starttls",
    "immediate": "immediate",
    "implicit": "immediate",
}


@dataclass
class Config:
    """Everything fixed for one session."""

    #: The name sent with EHLO/HELO/LHLO (a domain, or an address literal such as
    #: ``[192.0.2.1]``).
    hello_name: str = "localhost"
    #: ``none``, ``opportunistic`` (STARTTLS when offered; the default),
    #: ``required-starttls`` (alias ``required``) or ``immediate`` (alias ``implicit``).
    tls: str = "opportunistic"
    #: LMTP (RFC 2033) instead of SMTP.
    lmtp: bool = False
    #: Use PIPELINING when offered.
    pipelining: bool = True
    #: Use CHUNKING (BDAT) when offered.
    chunking: bool = True
    #: Let AUTH send the password without TLS (only for a trusted local link).
    allow_plaintext_auth: bool = False
    #: Emit ``Trace`` events for every line written and read.
    trace: bool = False
    #: AUTH username; None for no AUTH.
    username: Optional[str] = None
    #: AUTH password.
    password: Optional[str] = None
    #: AUTH mechanisms allowed, of ``PLAIN`` and ``LOGIN``; empty for both (PLAIN
    #: preferred).
    auth_mechanisms: Sequence[str] = ()
    #: Reply deadlines to change, in seconds, by phase: ``greeting``, ``ehlo``,
    #: ``starttls``, ``auth``, ``mail``, ``rcpt``, ``data_init``, ``data_block``,
    #: ``data_term``, ``rset``, ``noop``, ``quit``.
    timeouts: Mapping[str, float] = field(default_factory=dict)


def _ns(now: Optional[float]) -> int:
    if now is None:
        now = time.monotonic()
    return max(0, round(now * 1e9))


def _enhanced(e: _ffi.EnhancedCode) -> Optional[str]:
    return f"{e.class_}.{e.subject}.{e.detail}" if e.class_ else None


def _reply(r: _ffi.Reply) -> Reply:
    return Reply(code=r.code, enhanced=_enhanced(r.enhanced), raw_text=r.text.bytes())


def _error(e: _ffi.Error) -> SessionError:
    return SessionError(
        kind=e.kind_name.str(),
        permanent=bool(e.permanent),
        code=e.code or None,
        enhanced=_enhanced(e.enhanced),
        command=e.command.str() or None,
        reply_text=e.text.bytes(),
        detail=e.detail.str(),
        message=e.message.str(),
    )


def _event(ev: _ffi.Event) -> Event:
    k = ev.kind
    if k == _ffi.EV_GREETING:
        return Greeting(domain=ev.text.str(), reply=_reply(ev.reply))
    if k == _ffi.EV_CAPABILITIES:
        c = ev.capabilities
        names = frozenset(n for n, bit in _ffi.CAPABILITY_FLAGS.items() if c.flags & bit)
        mechs = tuple(m for m in c.auth_mechanisms.str().split(" ") if m)
        return Capabilities(
            domain=c.domain.str(),
            extensions=names,
            max_size=c.max_size or None,
            auth_mechanisms=mechs,
        )
    if k == _ffi.EV_START_TLS:
        return StartTls()
    if k == _ffi.EV_AUTHENTICATED:
        return Authenticated(mechanism=ev.text.str())
    if k == _ffi.EV_READY:
        return Ready()
    if k == _ffi.EV_RECIPIENT_ACCEPTED:
        return RecipientAccepted(index=ev.index, reply=_reply(ev.reply))
    if k == _ffi.EV_RECIPIENT_REJECTED:
        return RecipientRejected(index=ev.index, error=_error(ev.error))
    if k == _ffi.EV_BODY_WANTED:
        return BodyWanted()
    if k == _ffi.EV_DELIVERED:
        return Delivered(reply=_reply(ev.reply))
    if k == _ffi.EV_TRANSACTION_FAILED:
        return TransactionFailed(error=_error(ev.error))
    if k == _ffi.EV_COMMAND_DONE:
        return CommandDone(verb=ev.verb.str(), reply=_reply(ev.reply))
    if k == _ffi.EV_COMMAND_FAILED:
        return CommandFailed(verb=ev.verb.str(), error=_error(ev.error))
    if k == _ffi.EV_CLOSED:
        return Closed(error=_error(ev.error) if ev.has_error else None)
    if k == _ffi.EV_TRACE:
        kind = _ffi.TRACE_KINDS.get(ev.trace_kind, "none")
        return Trace(
            kind=kind,
            text=ev.text.str(),
            reply=_reply(ev.reply) if kind == "reply" else None,
            data_bytes=ev.data_bytes,
        )
    return Other(kind=k)


def _encode(s: str, what: str) -> bytes:
    if "\0" in s:
        raise InvalidArgument(f"{what} contains NUL")
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidArgument(f"{what} is not valid Unicode: {e}") from None


class Client:
    """One SMTP or LMTP client session over the C ABI. It never does I/O: feed it
    what the server sent (``receive_data``), send what ``data_to_send`` gives, act on
    ``next_event``, and call ``handle_timer`` when ``get_timer`` passes.

    Requests (``send_mail``, ``reset``, ``noop``, ``quit``) are taken only after a
    ``Ready`` event; misuse raises ``UsageError`` and changes nothing. Session errors
    never raise: they arrive in events. Not thread-safe."""

    def __init__(self, config: Optional[Config] = None, now: Optional[float] = None) -> None:
        self._ptr: Optional[int] = None
        config = config or Config()
        c = _ffi.Config()
        self._check(lib.smtp_config_init(ctypes.byref(c)), None)
        c.hello_name = _encode(config.hello_name, "hello_name")
        mode = _TLS_ALIASES.get(config.tls)
        if mode is None:
            raise InvalidArgument(f"unknown TLS mode {config.tls!r}")
        c.tls_mode = _ffi.TLS_MODES[mode]
        c.lmtp = config.lmtp
        c.pipelining = config.pipelining
        c.chunking = config.chunking
        c.allow_plaintext_auth = config.allow_plaintext_auth
        c.trace = config.trace
        if config.username is not None:
            c.username = _encode(config.username, "username")
            if config.password is None:
                raise InvalidArgument("a username needs a password")
            c.password = _encode(config.password, "password")
        bits = 0
        for m in config.auth_mechanisms:
            bit = _ffi.AUTH_MECHANISMS.get(m.upper())
            if bit is None:
                raise InvalidArgument(f"unsupported AUTH mechanism {m!r} (PLAIN, LOGIN)")
            bits |= bit
        c.auth_mechanisms = bits
        timeouts = (_ffi.Timeout * max(1, len(config.timeouts)))()
        for i, (phase, seconds) in enumerate(config.timeouts.items()):
            timeouts[i].phase = _encode(phase, "timeout phase")
            timeouts[i].ms = max(0, round(seconds * 1000))
        c.timeouts = ctypes.cast(timeouts, ctypes.POINTER(_ffi.Timeout))
        c.timeouts_len = len(config.timeouts)
        out = ctypes.c_void_p()
        r = lib.smtp_client_new(ctypes.byref(c), _ns(now), ctypes.byref(out))
        if r in (_ffi.NULL_ARGUMENT, _ffi.INVALID_UTF8, _ffi.INVALID_ARGUMENT):
            raise InvalidArgument(
                f"invalid configuration ({_ffi.result_text(r)}): check hello_name "
                f"{config.hello_name!r}, the credentials and the timeout phases"
            )
        self._check(r, None)
        self._ptr = out.value
        self._event = _ffi.Event()

    # ----- lifetime -------------------------------------------------------------

    def close(self) -> None:
        """Frees the engine. The client is unusable afterwards (also done when it is
        garbage-collected)."""
        if self._ptr is not None:
            lib.smtp_client_free(self._ptr)
            self._ptr = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown may have torn the module down
            pass

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _client(self) -> int:
        if self._ptr is None:
            raise UsageError("the client is closed", "closed", -1)
        return self._ptr

    def _check(self, r: int, ptr: Optional[int]) -> None:
        if r == _ffi.OK:
            return
        if r == _ffi.PANIC:
            raise EnginePanic("libsmtp_ffi panicked; the client is unusable")
        reason = _ffi.USAGE_REASONS.get(r)
        if reason is not None:
            text = ""
            if ptr is not None:
                s = _ffi.Str()
                if lib.smtp_client_last_error(ptr, ctypes.byref(s)) == _ffi.OK:
                    text = s.str()
            raise UsageError(text or _ffi.result_text(r), reason, r)
        raise InvalidArgument(_ffi.result_text(r))

    # ----- inputs ---------------------------------------------------------------

    def receive_data(self, data: BytesLike, now: Optional[float] = None) -> None:
        """Bytes read from the server. Never refuses input."""
        p = self._client()
        b = bytes(data)
        self._check(lib.smtp_client_receive(p, _ns(now), b, len(b)), p)

    def receive_eof(self, now: Optional[float] = None) -> None:
        """The server closed the connection."""
        p = self._client()
        self._check(lib.smtp_client_receive_eof(p, _ns(now)), p)

    def handle_timer(self, now: Optional[float] = None) -> None:
        """The time from ``get_timer`` may have passed; early calls do nothing."""
        p = self._client()
        self._check(lib.smtp_client_handle_timeout(p, _ns(now)), p)

    def tls_established(
        self,
        now: Optional[float] = None,
        *,
        protocol: Optional[str] = None,
        cipher_suite: Optional[str] = None,
        channel_binding: Optional[tuple[str, bytes]] = None,
        peer_certificates: Sequence[bytes] = (),
    ) -> None:
        """The TLS handshake the engine asked for (``StartTls``) succeeded.
        ``channel_binding`` is ``(kind, data)`` with kind ``tls-exporter``,
        ``tls-server-end-point`` or ``tls-unique``; certificates are DER, leaf first."""
        p = self._client()
        info = _ffi.TlsInfo()
        if protocol is not None:
            info.protocol = _encode(protocol, "protocol")
        if cipher_suite is not None:
            info.cipher_suite = _encode(cipher_suite, "cipher_suite")
        if channel_binding is not None:
            kind, data = channel_binding
            if kind not in _ffi.CHANNEL_BINDINGS:
                raise InvalidArgument(f"unknown channel binding {kind!r}")
            info.channel_binding_kind = _ffi.CHANNEL_BINDINGS[kind]
            info.channel_binding = bytes(data)
            info.channel_binding_len = len(data)
        certs = (_ffi.InBytes * max(1, len(peer_certificates)))()
        for i, der in enumerate(peer_certificates):
            certs[i].ptr = bytes(der)
            certs[i].len = len(der)
        info.peer_certificates = ctypes.cast(certs, ctypes.POINTER(_ffi.InBytes))
        info.peer_certificates_len = len(peer_certificates)
        self._check(lib.smtp_client_tls_established(p, _ns(now), ctypes.byref(info)), p)

    def tls_failed(
        self, detail: str = "", kind: str = "handshake", now: Optional[float] = None
    ) -> None:
        """The TLS handshake failed; ``kind`` is an RFC 8460 result type
        (``handshake``, ``certificate-not-trusted``, ``certificate-expired``,
        ``certificate-host-mismatch``, ``validation-failure``, ...)."""
        p = self._client()
        k = _ffi.TLS_FAILURES.get(kind)
        if k is None:
            raise InvalidArgument(f"unknown TLS failure kind {kind!r}")
        d = _encode(detail.replace("\0", " "), "detail")
        self._check(lib.smtp_client_tls_failed(p, _ns(now), k, d), p)

    # ----- outputs --------------------------------------------------------------

    def data_to_send(self, now: Optional[float] = None) -> bytes:
        """Everything waiting to be written, reported as written: send it all."""
        p = self._client()
        t = _ns(now)
        parts: list[bytes] = []
        ptr = ctypes.c_void_p()
        n = ctypes.c_size_t()
        while True:
            self._check(lib.smtp_client_transmit(p, ctypes.byref(ptr), ctypes.byref(n)), p)
            if n.value == 0:
                return b"".join(parts)
            parts.append(ctypes.string_at(ptr.value or 0, n.value))
            self._check(lib.smtp_client_transmitted(p, t, n.value), p)

    def next_event(self) -> Optional[Event]:
        """The next event, or None when drained."""
        p = self._client()
        r = lib.smtp_client_poll_event(p, ctypes.byref(self._event))
        if r == _ffi.NO_EVENT:
            return None
        self._check(r, p)
        return _event(self._event)

    def events(self) -> Iterator[Event]:
        """Every waiting event, until drained."""
        while (ev := self.next_event()) is not None:
            yield ev

    def get_timer(self) -> Optional[float]:
        """When ``handle_timer`` should be called next (same clock as ``now``), or
        None when no deadline runs."""
        p = self._client()
        d = ctypes.c_uint64()
        r = lib.smtp_client_next_timeout(p, ctypes.byref(d))
        if r == _ffi.NO_DEADLINE:
            return None
        self._check(r, p)
        return d.value / 1e9

    # ----- requests -------------------------------------------------------------

    def send_mail(
        self,
        from_: str,
        to: Union[str, Sequence[str]],
        size: Optional[int] = None,
        *,
        eightbitmime: bool = False,
        smtputf8: bool = False,
        requiretls: bool = False,
        now: Optional[float] = None,
    ) -> None:
        """Starts a transaction (after ``Ready``). ``from_`` may be ``""`` (the null
        reverse-path); recipients are named by their index in ``to`` in events. Then
        come per-recipient events, ``BodyWanted`` and ``Delivered`` or
        ``TransactionFailed``."""
        p = self._client()
        if isinstance(to, str):
            to = [to]
        addrs = [_encode(a, f"recipient {i}") for i, a in enumerate(to)]
        arr = (ctypes.c_char_p * max(1, len(addrs)))(*addrs)
        env = _ffi.Envelope()
        env.from_ = _encode(from_, "from_")
        env.to = ctypes.cast(arr, ctypes.POINTER(ctypes.c_char_p))
        env.to_len = len(addrs)
        env.size = size or 0
        env.eightbitmime = eightbitmime
        env.smtputf8 = smtputf8
        env.requiretls = requiretls
        self._check(lib.smtp_client_send(p, _ns(now), ctypes.byref(env)), p)

    def body_capacity(self) -> int:
        """How many bytes ``body`` takes now (0: no body wanted, or write first)."""
        return int(lib.smtp_client_body_capacity(self._client()))

    def body(self, data: BytesLike, now: Optional[float] = None) -> int:
        """Hands over body bytes; returns how many were taken (at most
        ``body_capacity()``): hand the rest over later."""
        p = self._client()
        b = bytes(data[: self.body_capacity()])
        taken = ctypes.c_size_t()
        self._check(lib.smtp_client_body(p, _ns(now), b, len(b), ctypes.byref(taken)), p)
        return taken.value

    def end_body(self, now: Optional[float] = None) -> None:
        """The body is complete."""
        p = self._client()
        self._check(lib.smtp_client_end_body(p, _ns(now)), p)

    def reset(self, now: Optional[float] = None) -> None:
        """Sends RSET; ``CommandDone`` or ``CommandFailed`` follows."""
        p = self._client()
        self._check(lib.smtp_client_reset(p, _ns(now)), p)

    def noop(self, now: Optional[float] = None) -> None:
        """Sends NOOP; ``CommandDone`` or ``CommandFailed`` follows."""
        p = self._client()
        self._check(lib.smtp_client_noop(p, _ns(now)), p)

    def quit(self, now: Optional[float] = None) -> None:
        """Sends QUIT; ``Closed`` without an error follows."""
        p = self._client()
        self._check(lib.smtp_client_quit(p, _ns(now)), p)


__all__ = ["Client", "Config"]
