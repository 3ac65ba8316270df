"""The binding against scripted server bytes: events, bytes, timers and errors."""

from __future__ import annotations

import pytest

import smtp_engine as se
from smtp_engine import _ffi


def opened(**config) -> se.Client:
    """A client past greeting and EHLO, with the events drained."""
    c = se.Client(se.Config(hello_name="client.example", tls="none", **config), now=0.0)
    c.receive_data(b"220 mx.example.net ESMTP\r\n", now=0.1)
    assert c.data_to_send(0.1) == b"EHLO client.example\r\n"
    c.receive_data(b"250-mx.example.net\r\n250-ENHANCEDSTATUSCODES\r\n250 PIPELINING\r\n", 0.2)
    events = list(c.events())
    assert isinstance(events[0], se.Greeting) and events[0].domain == "mx.example.net"
    assert isinstance(events[1], se.Capabilities)
    assert events[1].has("pipelining") and events[1].has("ENHANCEDSTATUSCODES")
    assert events[2:] == [se.Ready()]
    return c


def test_struct_layouts_match_the_library() -> None:
    # _ffi checks every size at import; this is the check's own test.
    import ctypes

    assert _ffi.lib.smtp_struct_size(4) == ctypes.sizeof(_ffi.Event)
    assert se.LIBRARY_VERSION


def test_a_pipelined_transaction_with_a_refused_recipient() -> None:
    c = opened()
    c.send_mail("a@example.org", ["b@example.net", "nobody@example.net"], now=0.3)
    assert c.data_to_send(0.3) == (
        b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
        b"RCPT TO:<nobody@example.net>\r\nDATA\r\n"
    )
    assert c.next_event() is None
    c.receive_data(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n354 go\r\n", 0.4)
    accepted, rejected, wanted = list(c.events())
    assert accepted == se.RecipientAccepted(0, se.Reply(250, "2.1.5", b"2.1.5 ok"))
    assert isinstance(rejected, se.RecipientRejected) and rejected.index == 1
    err = rejected.error
    assert (err.kind, err.permanent, err.code, err.enhanced, err.command) == (
        "status", True, 550, "5.1.1", "RCPT")
    assert err.reply_text == b"5.1.1 no such user"
    assert "no such user" in str(err)
    assert wanted == se.BodyWanted()
    with pytest.raises(se.UsageError) as e:
        c.noop()
    assert e.value.reason == "not_ready"
    body = b"Subject: hi\r\n\r\n.dot\r\nlast line without CRLF"
    assert c.body_capacity() > len(body)
    assert c.body(body, 0.5) == len(body)
    c.end_body(0.5)
    assert c.data_to_send(0.5) == b"Subject: hi\r\n\r\n..dot\r\nlast line without CRLF\r\n.\r\n"
    c.receive_data(b"250 2.0.0 queued\r\n", 0.6)
    assert list(c.events()) == [se.Delivered(se.Reply(250, "2.0.0", b"2.0.0 queued")), se.Ready()]
    c.quit(0.7)
    assert c.data_to_send(0.7) == b"QUIT\r\n"
    c.receive_data(b"221 bye\r\n", 0.8)
    assert list(c.events()) == [se.Closed(None)]
    assert c.get_timer() is None


def test_usage_errors_raise_and_change_nothing() -> None:
    c = se.Client(se.Config(hello_name="client.example", tls="none"), now=0)
    with pytest.raises(se.UsageError) as e:
        c.send_mail("a@example.org", ["b@example.net"])
    assert e.value.reason == "not_ready" and "not ready" in str(e.value)
    with pytest.raises(se.UsageError) as e:
        c.body(b"x")
    assert e.value.reason == "no_body_wanted"
    with pytest.raises(se.UsageError):
        c.end_body()
    assert c.data_to_send() == b""
    c = opened()
    with pytest.raises(se.UsageError) as e:
        c.send_mail("a@example.org", [])
    assert e.value.reason == "no_recipients"
    with pytest.raises(se.UsageError) as e:
        c.send_mail("a@example.org", ["no at sign"])
    assert e.value.reason == "address"
    c.send_mail("a@example.org", ["b@example.net"])
    with pytest.raises(se.UsageError) as e:
        c.send_mail("x@example.org", ["b@example.net"])
    assert e.value.reason == "not_ready"  # the first send is running


def test_invalid_configuration_raises_value_errors() -> None:
    with pytest.raises(se.InvalidArgument):
        se.Client(se.Config(hello_name="not a host"))
    with pytest.raises(ValueError):
        se.Client(se.Config(tls="sometimes"))
    with pytest.raises(ValueError):
        se.Client(se.Config(username="u"))
    with pytest.raises(ValueError):
        se.Client(se.Config(timeouts={"lunch": 1.0}))
    with pytest.raises(ValueError):
        se.Client(se.Config(auth_mechanisms=["GSSAPI"], username="u", password="p"))


def test_timers_and_a_421() -> None:
    c = se.Client(se.Config(hello_name="h.example", tls="none", timeouts={"greeting": 30}),
                  now=100.0)
    assert c.get_timer() == pytest.approx(130.0)
    c.handle_timer(129.0)
    assert c.next_event() is None
    c.handle_timer(130.0)
    (closed,) = list(c.events())
    assert isinstance(closed, se.Closed) and closed.error is not None
    assert closed.error.kind == "timeout" and not closed.error.permanent

    c = opened()
    c.send_mail("", "b@example.net", now=1)
    c.data_to_send(1)
    c.receive_data(b"421 4.3.2 going down\r\n", 2)
    rejected, failed, closed = list(c.events())
    assert isinstance(rejected, se.RecipientRejected) and rejected.error.code == 421
    assert isinstance(failed, se.TransactionFailed) and not failed.error.permanent
    assert isinstance(closed, se.Closed) and closed.error.enhanced == "4.3.2"
    assert c.data_to_send() == b""
    c.quit()
    (failed_quit,) = list(c.events())
    assert isinstance(failed_quit, se.CommandFailed) and failed_quit.error.kind == "closed"


def test_starttls_auth_and_traces() -> None:
    c = se.Client(se.Config(hello_name="client.example", tls="required", username="u",
                            password="p", trace=True), now=0)
    c.receive_data(b"220 mx ESMTP\r\n250 unasked\r\n")
    kinds = [type(e).__name__ for e in c.events()]
    assert "Closed" in kinds  # a reply nobody asked for is a protocol error
    c = se.Client(se.Config(hello_name="client.example", tls="required", username="u",
                            password="p", trace=True), now=0)
    c.receive_data(b"220 mx ESMTP\r\n")
    c.data_to_send()
    c.receive_data(b"250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
    assert c.data_to_send() == b"STARTTLS\r\n"
    c.receive_data(b"220 go ahead\r\n")
    events = list(c.events())
    assert se.StartTls() in events
    c.tls_established(protocol="TLSv1.3", cipher_suite="TLS_AES_128_GCM_SHA256",
                      channel_binding=("tls-exporter", bytes(32)), peer_certificates=[b"\x30\x00"])
    assert c.data_to_send() == b"EHLO client.example\r\n"
    c.receive_data(b"250-mx\r\n250 AUTH PLAIN\r\n")
    assert c.data_to_send() == b"AUTH PLAIN AHUAcA==\r\n"
    c.receive_data(b"235 2.7.0 ok\r\n")
    events = list(c.events())
    traces = [e.text for e in events if isinstance(e, se.Trace) and e.kind == "command"]
    assert "AUTH PLAIN <redacted>" in traces
    assert se.Authenticated("PLAIN") in events and events[-1] == se.Ready()


def test_closed_client_raises() -> None:
    c = opened()
    c.close()
    with pytest.raises(se.UsageError):
        c.data_to_send()
    c.close()  # twice is fine
