"""Real sessions over sockets against aiosmtpd, through smtp_engine.aio."""

from __future__ import annotations

import asyncio
import ssl

import pytest

import smtp_engine as se
from smtp_engine import aio

MESSAGE = (
    b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hello\r\n\r\n"
    b".a line that starts with a dot\r\n..and two\r\nbare LF\nend\r\n"
)
# What the server stores: dot-unstuffed, bare LF made CRLF (the engine's rule 3).
STORED = MESSAGE.replace(b"bare LF\n", b"bare LF\r\n")


def test_plain_session_stores_the_exact_bytes(smtp_server) -> None:
    port, store = smtp_server()
    lines: list[str] = []
    d = asyncio.run(aio.send(
        "127.0.0.1", port, from_="a@example.org",
        to=["b@example.net", "nobody@example.net", "c@example.net"],
        message=MESSAGE, hello_name="client.example", tls="none", on_trace=lines.append,
    ))
    assert d.ok and not d.all_accepted
    assert isinstance(d.result, se.Reply) and d.result.code == 250
    ok0, refused, ok2 = d.recipients
    assert isinstance(ok0, se.Reply) and isinstance(ok2, se.Reply)
    assert isinstance(refused, se.SessionError)
    # aiosmtpd does not advertise ENHANCEDSTATUSCODES: "5.1.1" stays in the text.
    assert (refused.code, refused.permanent, refused.enhanced) == (550, True, None)
    assert refused.reply_text == b"5.1.1 no such user" and refused.command == "RCPT"
    (msg,) = store.messages
    assert msg.mail_from == "a@example.org"
    assert msg.rcpt_tos == ["b@example.net", "c@example.net"]
    assert msg.data == STORED
    assert "C: EHLO client.example" in lines and "C: QUIT" in lines


def test_a_large_body_goes_in_pieces(smtp_server) -> None:
    port, store = smtp_server()
    body = b"Subject: big\r\n\r\n" + b"".join(
        b"%06d the quick brown fox jumps over the lazy dog\r\n" % i for i in range(20000)
    )
    assert len(body) > 512 * 1024  # more than the engine's pending-body window
    d = asyncio.run(aio.send("127.0.0.1", port, from_="", to="b@example.net",
                             message=body, tls="none"))
    assert d.all_accepted
    assert store.messages[0].data == body
    assert store.messages[0].mail_from == "<>" or store.messages[0].mail_from == ""


def test_opportunistic_without_starttls_stays_plain(smtp_server) -> None:
    port, store = smtp_server()
    d = asyncio.run(aio.send("127.0.0.1", port, from_="a@example.org", to="b@example.net",
                             message="Subject: é\r\n\r\nunicode body é\r\n", eightbitmime=True))
    assert d.all_accepted
    assert store.messages[0].data == "Subject: é\r\n\r\nunicode body é\r\n".encode()


def test_every_recipient_refused(smtp_server) -> None:
    port, store = smtp_server()
    d = asyncio.run(aio.send("127.0.0.1", port, from_="a@example.org",
                             to=["nobody@example.net"], message=b"x\r\n", tls="none"))
    assert not d.ok
    assert isinstance(d.result, se.SessionError) and d.result.code == 550
    assert store.messages == []


def test_auth_without_tls_needs_the_opt_in(smtp_server) -> None:
    port, store = smtp_server(auth=True, auth_require_tls=False)
    refused = asyncio.run(aio.send("127.0.0.1", port, from_="a@example.org", to="b@example.net",
                                   message=b"x\r\n", tls="none", username="u", password="p"))
    assert isinstance(refused.result, se.SessionError) and refused.result.kind == "auth"
    assert store.messages == []
    d = asyncio.run(aio.send("127.0.0.1", port, from_="a@example.org", to="b@example.net",
                             message=b"x\r\n", tls="none", username="u", password="p",
                             allow_plaintext_auth=True))
    assert d.all_accepted and store.auth_logins == [b"u"]
    bad = asyncio.run(aio.send("127.0.0.1", port, from_="a@example.org", to="b@example.net",
                               message=b"x\r\n", tls="none", username="u", password="wrong",
                               allow_plaintext_auth=True))
    assert isinstance(bad.result, se.SessionError) and bad.result.code == 535


def test_connection_refused_raises() -> None:
    from conftest import free_port

    with pytest.raises(OSError):
        asyncio.run(aio.send("127.0.0.1", free_port(), from_="a@example.org",
                             to="b@example.net", message=b"x\r\n"))


def test_starttls_then_auth(smtp_server, certs) -> None:
    port, store = smtp_server(tls_context=certs.server_context(), require_starttls=True,
                              auth=True, auth_require_tls=True)
    lines: list[str] = []
    d = asyncio.run(aio.send(
        "127.0.0.1", port, from_="a@example.org", to=["b@example.net"], message=MESSAGE,
        hello_name="client.example", tls="required", ssl_context=certs.client_context(),
        server_hostname="localhost", username="u", password="p", on_trace=lines.append,
    ))
    assert d.all_accepted, d.result
    assert store.messages[0].data == STORED
    assert store.auth_logins == [b"u"]
    assert lines.count("C: EHLO client.example") == 2  # again after TLS
    assert "C: STARTTLS" in lines
    assert "C: AUTH PLAIN <redacted>" in lines


def test_starttls_with_an_untrusted_certificate_fails_transient(smtp_server, certs) -> None:
    port, store = smtp_server(tls_context=certs.server_context(), require_starttls=True)
    d = asyncio.run(aio.send(
        "127.0.0.1", port, from_="a@example.org", to="b@example.net", message=b"x\r\n",
        tls="opportunistic", ssl_context=ssl.create_default_context(),
        server_hostname="localhost",
    ))
    assert isinstance(d.result, se.SessionError)
    assert d.result.kind == "tls" and not d.result.permanent
    assert isinstance(d.recipients[0], se.SessionError)
    assert store.messages == []


def test_implicit_tls(smtp_server, certs) -> None:
    port, store = smtp_server(ssl_context=certs.server_context())
    d = asyncio.run(aio.send(
        "127.0.0.1", port, from_="a@example.org", to="b@example.net", message=MESSAGE,
        tls="implicit", ssl_context=certs.client_context(), server_hostname="localhost",
    ))
    assert d.all_accepted, d.result
    assert store.messages[0].data == STORED


def test_a_server_that_hangs_up_and_one_that_says_nothing() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 flaky.example ESMTP\r\n")
        await reader.readline()
        writer.close()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async def main() -> tuple[aio.Delivery, aio.Delivery]:
        results = []
        for handler, timeouts in ((hang_up, None), (silent, {"greeting": 0.2})):
            server = await asyncio.start_server(handler, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            async with server:
                results.append(await aio.send("127.0.0.1", port, from_="a@example.org",
                                              to="b@example.net", message=b"x\r\n",
                                              tls="none", timeouts=timeouts))
        return results[0], results[1]

    hung, quiet = asyncio.run(main())
    assert isinstance(hung.result, se.SessionError) and hung.result.kind == "closed"
    assert isinstance(quiet.result, se.SessionError) and quiet.result.kind == "timeout"
    assert quiet.recipients == [quiet.result]
