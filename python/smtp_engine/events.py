"""What the engine tells its driver: one dataclass per event, plus the reply and
session-error types they carry. Every event is a fresh, owned Python object (the
library's own copy is released at the next poll)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union


class SmtpEngineError(Exception):
    """Base class of every exception this package raises."""


class UsageError(SmtpEngineError):
    """The caller misused the API (a request before ``Ready``, a bad address, a body
    nobody asked for...). Nothing changed and nothing was written.

    ``reason`` names the case: ``not_ready``, ``no_body_wanted``, ``no_recipients``,
    ``address``, ``command``, ``not_advertised``, ``body``, ``config`` or ``other``;
    ``code`` is the C ABI's ``smtp_result`` value."""

    def __init__(self, message: str, reason: str, code: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.code = code


class InvalidArgument(SmtpEngineError, ValueError):
    """An argument the library refused outright: an invalid hello name, an unknown TLS
    mode, mechanism or timeout phase, a password missing for a username."""


class EnginePanic(SmtpEngineError):
    """The library panicked (a bug); the client is unusable."""


@dataclass(frozen=True)
class Reply:
    """One server reply."""

    code: int
    #: The enhanced status code of the first line, e.g. ``"5.1.1"``, if any.
    enhanced: Optional[str]
    #: Every line's text after the code, joined by ``\n``, exactly as received.
    raw_text: bytes

    @property
    def text(self) -> str:
        """The text decoded as UTF-8 (invalid bytes replaced)."""
        return self.raw_text.decode("utf-8", "replace")

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class SessionError(SmtpEngineError):
    """A session error: the server's or the network's fault, never the caller's. It
    arrives in events (``RecipientRejected``, ``TransactionFailed``,
    ``CommandFailed``, ``Closed``); it is an exception so a caller can raise it."""

    def __init__(
        self,
        kind: str,
        permanent: bool,
        code: Optional[int],
        enhanced: Optional[str],
        command: Optional[str],
        reply_text: bytes,
        detail: str,
        message: str,
    ) -> None:
        super().__init__(message)
        #: ``status``, ``protocol``, ``injection``, ``tls``, ``auth``, ``size``,
        #: ``eightbitmime``, ``smtputf8``, ``requiretls``, ``limits``, ``closed``,
        #: ``timeout``, ``binarymime``.
        self.kind = kind
        #: True when retrying the same thing cannot succeed.
        self.permanent = permanent
        #: The reply code, when a reply caused the error.
        self.code = code
        #: The reply's enhanced status code, e.g. ``"4.3.2"``.
        self.enhanced = enhanced
        #: The command the failing reply answered (``RCPT``, ``DATA``, ``(greeting)``).
        self.command = command
        #: The server's reply text, as received (empty when no reply).
        self.reply_text = reply_text
        #: What happened, in the engine's words.
        self.detail = detail
        #: The whole error on one line, control characters escaped.
        self.message = message

    def __repr__(self) -> str:
        return (
            f"SessionError(kind={self.kind!r}, permanent={self.permanent}, "
            f"code={self.code}, enhanced={self.enhanced!r}, command={self.command!r})"
        )


@dataclass(frozen=True)
class Greeting:
    """The server's 220 arrived."""

    domain: str
    reply: Reply


@dataclass(frozen=True)
class Capabilities:
    """EHLO/LHLO was answered (again after TLS: only the newest counts)."""

    domain: str
    #: The known extensions offered: ``STARTTLS``, ``PIPELINING``, ``8BITMIME``,
    #: ``SIZE``, ``AUTH``, ...
    extensions: frozenset[str]
    #: The SIZE limit, when one is known.
    max_size: Optional[int]
    auth_mechanisms: tuple[str, ...] = field(default=())

    def has(self, extension: str) -> bool:
        """Whether ``extension`` (any case) was offered."""
        return extension.upper() in self.extensions


@dataclass(frozen=True)
class StartTls:
    """Switch to TLS now: send what ``data_to_send()`` gives, run the handshake on the
    same connection, then call ``tls_established()`` or ``tls_failed()``."""


@dataclass(frozen=True)
class Authenticated:
    """AUTH succeeded."""

    mechanism: str


@dataclass(frozen=True)
class Ready:
    """The session takes a request: ``send_mail``, ``reset``, ``noop``, ``quit``."""


@dataclass(frozen=True)
class RecipientAccepted:
    """Recipient ``index`` of the envelope was accepted."""

    index: int
    reply: Reply


@dataclass(frozen=True)
class RecipientRejected:
    """Recipient ``index`` failed. Each recipient gets exactly one of
    ``RecipientAccepted`` / ``RecipientRejected`` before its transaction ends."""

    index: int
    error: SessionError


@dataclass(frozen=True)
class BodyWanted:
    """Hand the body over: ``body()`` while ``body_capacity()`` > 0, then
    ``end_body()``."""


@dataclass(frozen=True)
class Delivered:
    """The message was accepted; ends a ``send_mail``."""

    reply: Reply


@dataclass(frozen=True)
class TransactionFailed:
    """The transaction failed as a whole; ends a ``send_mail``."""

    error: SessionError


@dataclass(frozen=True)
class CommandDone:
    """A ``reset`` or ``noop`` was answered 2yz."""

    verb: str
    reply: Reply


@dataclass(frozen=True)
class CommandFailed:
    """A ``reset``, ``noop`` or ``quit`` failed."""

    verb: str
    error: SessionError


@dataclass(frozen=True)
class Closed:
    """The session is over. ``error`` is None after an orderly QUIT. Send what
    ``data_to_send()`` still gives (a best-effort QUIT), then close the connection."""

    error: Optional[SessionError]


@dataclass(frozen=True)
class Trace:
    """A line written or read (only with ``Config(trace=True)``); AUTH payloads are
    redacted."""

    #: ``command``, ``reply`` or ``data``.
    kind: str
    text: str
    reply: Optional[Reply] = None
    data_bytes: int = 0


@dataclass(frozen=True)
class Other:
    """An event this version of the package does not know; ignore it."""

    kind: int


Event = Union[
    Greeting,
    Capabilities,
    StartTls,
    Authenticated,
    Ready,
    RecipientAccepted,
    RecipientRejected,
    BodyWanted,
    Delivered,
    TransactionFailed,
    CommandDone,
    CommandFailed,
    Closed,
    Trace,
    Other,
]
