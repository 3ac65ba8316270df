"""An aiosmtpd server for the interop tests: stores each message's data (after
dot-unstuffing, exactly as received) in a directory, and accepts AUTH PLAIN/LOGIN
for user "u" with password "p" without TLS (test-only)."""
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = os.path.join(self.directory, f"msg-{self.count:04}")
        with open(name + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(name + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        os.rename(name + ".tmp", name + ".eml")
        return "250 OK stored"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"u" and auth_data.password == b"p"
    # handled=False: let aiosmtpd answer 535 itself on failure.
    return AuthResult(success=ok, handled=False)


def main():
    """Usage: aiosmtpd_store.py PORT DIR [CERT KEY] — with CERT and KEY the server
    offers STARTTLS and requires it before MAIL and AUTH."""
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    tls = {}
    if len(sys.argv) == 5:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        tls = {"tls_context": ctx, "require_starttls": True}
    controller = Controller(
        Store(directory), hostname="127.0.0.1", port=port, authenticator=authenticator,
        auth_require_tls=not tls == {}, enable_SMTPUTF8=True, **tls,
    )
    controller.start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
