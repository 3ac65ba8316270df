"""Python bindings for smtp-engine's sans-IO SMTP/LMTP client, over its C ABI
(``libsmtp_ffi``) with ctypes.

``Client`` is the engine itself (bytes and facts in; bytes, events and a timer
out); ``smtp_engine.aio.send`` drives it over asyncio streams for one message."""

from ._ffi import VERSION as LIBRARY_VERSION
from .client import Client, Config
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
    SmtpEngineError,
    StartTls,
    Trace,
    TransactionFailed,
    UsageError,
)

__version__ = "0.1.0"

__all__ = [
    "LIBRARY_VERSION",
    "Authenticated",
    "BodyWanted",
    "Capabilities",
    "Client",
    "Closed",
    "CommandDone",
    "CommandFailed",
    "Config",
    "Delivered",
    "EnginePanic",
    "Event",
    "Greeting",
    "InvalidArgument",
    "Other",
    "Ready",
    "RecipientAccepted",
    "RecipientRejected",
    "Reply",
    "SessionError",
    "SmtpEngineError",
    "StartTls",
    "Trace",
    "TransactionFailed",
    "UsageError",
]
