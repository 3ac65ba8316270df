"""The C ABI of smtp-ffi (``smtp-ffi/include/smtp.h``) declared with ctypes.

The library is found, in order, at ``$SMTP_ENGINE_LIB`` (a path to the shared
library), next to this package, or in the Cargo target directory of the checkout
this package sits in (``$CARGO_TARGET_DIR``, then ``target/``; ``debug`` before
``release``). At load time every struct's size is compared with what the library
reports (``smtp_struct_size``), so a header change that these declarations missed
fails at import, not in a corrupted read.
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any

# smtp_result
OK = 0
NULL_ARGUMENT = 1
INVALID_UTF8 = 2
INVALID_ARGUMENT = 3
PANIC = 4
NO_EVENT = 5
NO_DEADLINE = 6
USAGE_REASONS = {
    100: "not_ready",
    101: "no_body_wanted",
    102: "no_recipients",
    103: "address",
    104: "command",
    105: "not_advertised",
    106: "body",
    107: "config",
    199: "other",
}

# smtp_event_kind
EV_GREETING = 1
EV_CAPABILITIES = 2
EV_START_TLS = 3
EV_AUTHENTICATED = 4
EV_READY = 5
EV_RECIPIENT_ACCEPTED = 6
EV_RECIPIENT_REJECTED = 7
EV_BODY_WANTED = 8
EV_DELIVERED = 9
EV_TRANSACTION_FAILED = 10
EV_COMMAND_DONE = 11
EV_COMMAND_FAILED = 12
EV_CLOSED = 13
EV_TRACE = 14

# smtp_trace_kind
TRACE_KINDS = {0: "none", 1: "command", 2: "reply", 3: "data"}

# smtp_tls_mode
TLS_MODES = {"none": 0, "opportunistic": 1, "required-starttls": 2, "immediate": 3}

# smtp_auth_mechanism
AUTH_MECHANISMS = {"PLAIN": 1, "LOGIN": 2}

# smtp_channel_binding_kind
CHANNEL_BINDINGS = {"tls-exporter": 1, "tls-server-end-point": 2, "tls-unique": 3}

# smtp_tls_failure_kind
TLS_FAILURES = {
    "handshake": 0,
    "certificate-host-mismatch": 1,
    "certificate-expired": 2,
    "certificate-not-trusted": 3,
    "validation-failure": 4,
    "tlsa-invalid": 5,
    "dnssec-invalid": 6,
    "dane-required": 7,
}

# smtp_capability_flag
CAPABILITY_FLAGS = {
    "STARTTLS": 1,
    "ENHANCEDSTATUSCODES": 2,
    "8BITMIME": 4,
    "PIPELINING": 8,
    "SMTPUTF8": 16,
    "REQUIRETLS": 32,
    "CHUNKING": 64,
    "BINARYMIME": 128,
    "DSN": 256,
    "SIZE": 512,
    "AUTH": 1024,
}


class Str(Structure):
    _fields_ = [("ptr", c_void_p), ("len", c_size_t)]

    def bytes(self) -> bytes:
        return ctypes.string_at(self.ptr, self.len) if self.len else b""

    def str(self) -> str:
        return self.bytes().decode("utf-8", "replace")


class EnhancedCode(Structure):
    _fields_ = [("class_", c_uint8), ("subject", c_uint16), ("detail", c_uint16)]


class Reply(Structure):
    _fields_ = [("code", c_uint16), ("enhanced", EnhancedCode), ("text", Str)]


class Error(Structure):
    _fields_ = [
        ("kind", c_uint32),
        ("kind_name", Str),
        ("permanent", c_bool),
        ("code", c_uint16),
        ("enhanced", EnhancedCode),
        ("command", Str),
        ("text", Str),
        ("detail", Str),
        ("message", Str),
    ]


class Capabilities(Structure):
    _fields_ = [
        ("flags", c_uint32),
        ("max_size", c_uint64),
        ("domain", Str),
        ("auth_mechanisms", Str),
    ]


class Event(Structure):
    _fields_ = [
        ("kind", c_uint32),
        ("index", c_size_t),
        ("reply", Reply),
        ("has_error", c_bool),
        ("error", Error),
        ("text", Str),
        ("verb", Str),
        ("capabilities", Capabilities),
        ("trace_kind", c_uint32),
        ("data_bytes", c_uint64),
    ]


class Timeout(Structure):
    _fields_ = [("phase", c_char_p), ("ms", c_uint64)]


class Config(Structure):
    _fields_ = [
        ("hello_name", c_char_p),
        ("tls_mode", c_uint32),
        ("lmtp", c_bool),
        ("pipelining", c_bool),
        ("chunking", c_bool),
        ("allow_plaintext_auth", c_bool),
        ("trace", c_bool),
        ("username", c_char_p),
        ("password", c_char_p),
        ("auth_mechanisms", c_uint32),
        ("timeouts", POINTER(Timeout)),
        ("timeouts_len", c_size_t),
    ]


class Envelope(Structure):
    _fields_ = [
        ("from_", c_char_p),
        ("to", POINTER(c_char_p)),
        ("to_len", c_size_t),
        ("size", c_uint64),
        ("eightbitmime", c_bool),
        ("smtputf8", c_bool),
        ("requiretls", c_bool),
    ]


class InBytes(Structure):
    """``smtp_bytes`` handed in (a certificate)."""

    _fields_ = [("ptr", c_char_p), ("len", c_size_t)]


class TlsInfo(Structure):
    _fields_ = [
        ("protocol", c_char_p),
        ("cipher_suite", c_char_p),
        ("channel_binding_kind", c_uint32),
        ("channel_binding", c_char_p),
        ("channel_binding_len", c_size_t),
        ("peer_certificates", POINTER(InBytes)),
        ("peer_certificates_len", c_size_t),
    ]


# smtp_struct values and the declarations that must match them.
_STRUCTS = [
    (0, Config),
    (1, Envelope),
    (2, TlsInfo),
    (3, Timeout),
    (4, Event),
    (5, Error),
    (6, Reply),
    (7, Capabilities),
    (8, Str),
]

_LIB_NAMES = {
    "linux": "libsmtp_ffi.so",
    "darwin": "libsmtp_ffi.dylib",
    "win32": "smtp_ffi.dll",
}


def _candidates() -> list[Path]:
    name = _LIB_NAMES.get(sys.platform, "libsmtp_ffi.so")
    env = os.environ.get("SMTP_ENGINE_LIB")
    if env:
        return [Path(env)]
    here = Path(__file__).resolve().parent
    found = [here / name]
    targets = []
    if os.environ.get("CARGO_TARGET_DIR"):
        targets.append(Path(os.environ["CARGO_TARGET_DIR"]))
    for parent in here.parents:
        if (parent / "Cargo.toml").is_file():
            targets.append(parent / "target")
            break
    for t in targets:
        found += [t / "debug" / name, t / "release" / name]
    return found


def _load() -> ctypes.CDLL:
    tried = _candidates()
    for path in tried:
        if path.is_file():
            return ctypes.CDLL(str(path))
    raise ImportError(
        "smtp_engine: libsmtp_ffi not found (build it with `cargo build -p smtp-ffi` "
        "or set SMTP_ENGINE_LIB); tried: " + ", ".join(str(p) for p in tried)
    )


lib = _load()

_u32 = c_uint32
_sigs: dict[str, tuple[list[Any], Any]] = {
    "smtp_config_init": ([POINTER(Config)], _u32),
    "smtp_client_new": ([POINTER(Config), c_uint64, POINTER(c_void_p)], _u32),
    "smtp_client_free": ([c_void_p], None),
    "smtp_client_receive": ([c_void_p, c_uint64, c_char_p, c_size_t], _u32),
    "smtp_client_receive_eof": ([c_void_p, c_uint64], _u32),
    "smtp_client_transmit": ([c_void_p, POINTER(c_void_p), POINTER(c_size_t)], _u32),
    "smtp_client_transmitted": ([c_void_p, c_uint64, c_size_t], _u32),
    "smtp_client_poll_event": ([c_void_p, POINTER(Event)], _u32),
    "smtp_client_next_timeout": ([c_void_p, POINTER(c_uint64)], _u32),
    "smtp_client_handle_timeout": ([c_void_p, c_uint64], _u32),
    "smtp_client_tls_established": ([c_void_p, c_uint64, POINTER(TlsInfo)], _u32),
    "smtp_client_tls_failed": ([c_void_p, c_uint64, c_uint32, c_char_p], _u32),
    "smtp_client_send": ([c_void_p, c_uint64, POINTER(Envelope)], _u32),
    "smtp_client_body_capacity": ([c_void_p], c_size_t),
    "smtp_client_body": ([c_void_p, c_uint64, c_char_p, c_size_t, POINTER(c_size_t)], _u32),
    "smtp_client_end_body": ([c_void_p, c_uint64], _u32),
    "smtp_client_reset": ([c_void_p, c_uint64], _u32),
    "smtp_client_noop": ([c_void_p, c_uint64], _u32),
    "smtp_client_quit": ([c_void_p, c_uint64], _u32),
    "smtp_client_last_error": ([c_void_p, POINTER(Str)], _u32),
    "smtp_struct_size": ([c_uint32], c_size_t),
    "smtp_version": ([], c_char_p),
    "smtp_result_text": ([c_uint32], c_char_p),
}
for _name, (_args, _res) in _sigs.items():
    _fn = getattr(lib, _name)
    _fn.argtypes = _args
    _fn.restype = _res

for _which, _cls in _STRUCTS:
    _theirs = lib.smtp_struct_size(_which)
    if _theirs != ctypes.sizeof(_cls):
        raise ImportError(
            f"smtp_engine: {_cls.__name__} is {ctypes.sizeof(_cls)} bytes here but "
            f"{_theirs} in libsmtp_ffi: the declarations in _ffi.py are stale"
        )
if ctypes.sizeof(InBytes) != lib.smtp_struct_size(8):
    raise ImportError("smtp_engine: smtp_bytes layout differs from libsmtp_ffi")

VERSION: str = lib.smtp_version().decode()


def result_text(code: int) -> str:
    return str(lib.smtp_result_text(code).decode())
