"""A small asyncio driver: one connection, one message, STARTTLS through
``ssl.SSLContext``.

    import asyncio
    from smtp_engine import aio

    delivery = asyncio.run(aio.send(
        "mx.example.net", 25, from_="a@example.org", to=["b@example.net"],
        message=b"Subject: hi\\r\\n\\r\\nhello\\r\\n", hello_name="client.example"))
    print(delivery.ok, delivery.result)

STARTTLS (and implicit TLS) upgrade the connection with ``StreamWriter.start_tls``,
which needs Python 3.11 or newer.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Union

from .client import Client, Config
from .events import (
    BodyWanted,
    Closed,
    Delivered,
    Ready,
    RecipientAccepted,
    RecipientRejected,
    Reply,
    SessionError,
    StartTls,
    Trace,
    TransactionFailed,
)

Outcome = Union[Reply, SessionError]


@dataclass
class Delivery:
    """How a ``send`` ended."""

    #: One entry per recipient, in order: the reply that accepted it, or why not.
    recipients: list[Outcome]
    #: The reply to the data, or why the transaction (or the session) failed.
    result: Outcome

    @property
    def ok(self) -> bool:
        """True when the message was accepted (for at least the accepted recipients)."""
        return isinstance(self.result, Reply)

    @property
    def all_accepted(self) -> bool:
        """True when the message was accepted for every recipient."""
        return self.ok and all(isinstance(r, Reply) for r in self.recipients)


def _tls_failure_kind(e: BaseException) -> str:
    if isinstance(e, ssl.SSLCertVerificationError):
        code = getattr(e, "verify_code", None)
        if code == 10:  # X509_V_ERR_CERT_HAS_EXPIRED
            return "certificate-expired"
        if code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
            return "certificate-host-mismatch"
        return "certificate-not-trusted"
    return "handshake"


async def send(
    host: str,
    port: int = 25,
    *,
    from_: str,
    to: Union[str, Sequence[str]],
    message: Union[bytes, str],
    hello_name: str = "localhost",
    tls: str = "opportunistic",
    ssl_context: Optional[ssl.SSLContext] = None,
    server_hostname: Optional[str] = None,
    username: Optional[str] = None,
    password: Optional[str] = None,
    allow_plaintext_auth: bool = False,
    lmtp: bool = False,
    eightbitmime: bool = False,
    smtputf8: bool = False,
    timeouts: Optional[dict[str, float]] = None,
    on_trace: Optional[Callable[[str], None]] = None,
) -> Delivery:
    """Connects to ``host:port``, sends one message and QUITs.

    ``tls`` is ``none``, ``opportunistic`` (STARTTLS when offered), ``required``
    (STARTTLS or fail) or ``implicit`` (TLS from the first byte); ``ssl_context``
    defaults to ``ssl.create_default_context()`` and ``server_hostname`` to ``host``.
    Session failures (a refusal, a TLS failure, a timeout) come back in the
    ``Delivery``; only a connection that cannot be made (``OSError``) and misuse
    raise."""
    to = [to] if isinstance(to, str) else list(to)
    body = memoryview(message.encode("utf-8") if isinstance(message, str) else message)
    config = Config(
        hello_name=hello_name,
        tls=tls,
        lmtp=lmtp,
        allow_plaintext_auth=allow_plaintext_auth,
        username=username,
        password=password,
        trace=on_trace is not None,
        timeouts=timeouts or {},
    )
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection(host, port)
    client = Client(config, now=loop.time())
    recipients: list[Optional[Outcome]] = [None] * len(to)
    result: Optional[Outcome] = None
    sent = want_body = False

    async def flush() -> None:
        out = client.data_to_send(loop.time())
        if out:
            timer = client.get_timer()
            wait = None if timer is None else max(0.001, timer - loop.time())
            try:
                writer.write(out)
                await asyncio.wait_for(writer.drain(), wait)
            except asyncio.TimeoutError:
                client.handle_timer(loop.time())
            except OSError:
                # The connection broke under a write: the engine ends the session.
                client.receive_eof(loop.time())

    async def upgrade() -> None:
        await flush()
        if not hasattr(writer, "start_tls"):
            raise RuntimeError("smtp_engine.aio needs Python 3.11+ for TLS")
        ctx = ssl_context or ssl.create_default_context()
        try:
            await writer.start_tls(ctx, server_hostname=server_hostname or host)
        except (ssl.SSLError, ssl.CertificateError, OSError) as e:
            client.tls_failed(str(e), _tls_failure_kind(e), now=loop.time())
            return
        tls = writer.get_extra_info("ssl_object")
        binding = None
        if tls.version() == "TLSv1.2":
            unique = tls.get_channel_binding("tls-unique")
            binding = ("tls-unique", unique) if unique else None
        cert = tls.getpeercert(binary_form=True)
        client.tls_established(
            loop.time(),
            protocol=tls.version(),
            cipher_suite=(tls.cipher() or ("",))[0] or None,
            channel_binding=binding,
            peer_certificates=[cert] if cert else [],
        )

    try:
        closed = False
        while not closed:
            await flush()
            progressed = False
            for ev in client.events():
                progressed = True
                if isinstance(ev, Ready):
                    if not sent:
                        sent = True
                        client.send_mail(
                            from_, to, size=len(body), eightbitmime=eightbitmime,
                            smtputf8=smtputf8, now=loop.time(),
                        )
                    else:
                        client.quit(loop.time())
                elif isinstance(ev, BodyWanted):
                    want_body = True
                elif isinstance(ev, StartTls):
                    await upgrade()
                elif isinstance(ev, RecipientAccepted):
                    recipients[ev.index] = ev.reply
                elif isinstance(ev, RecipientRejected):
                    recipients[ev.index] = ev.error
                elif isinstance(ev, Delivered):
                    result = ev.reply
                elif isinstance(ev, TransactionFailed):
                    result = ev.error
                elif isinstance(ev, Trace) and on_trace is not None:
                    on_trace(f"{'C' if ev.kind == 'command' else 'S'}: {ev.text}")
                elif isinstance(ev, Closed):
                    closed = True
                    if result is None:
                        result = ev.error or SessionError(
                            "closed", False, None, None, None, b"",
                            "the session closed before the message was sent",
                            "the session closed before the message was sent",
                        )
                    await flush()  # a best-effort QUIT
            while want_body and len(body) and client.body_capacity() > 0:
                n = client.body(body, loop.time())
                body = body[n:]
                progressed = True
            if want_body and not len(body):
                client.end_body(loop.time())
                want_body = False
                progressed = True
            if closed or progressed:
                continue
            timer = client.get_timer()
            wait = None if timer is None else max(0.001, timer - loop.time())
            try:
                data = await asyncio.wait_for(reader.read(65536), wait)
            except asyncio.TimeoutError:
                client.handle_timer(loop.time())
                continue
            except OSError:
                data = b""
            if data:
                client.receive_data(data, loop.time())
            else:
                client.receive_eof(loop.time())
    finally:
        client.close()
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    assert result is not None
    failed = result if isinstance(result, SessionError) else None
    return Delivery(
        recipients=[r if r is not None else (failed or result) for r in recipients],
        result=result,
    )
