"""Send N copies of one message over one connection; print "wall cpu" seconds.

usage: send.py smtplib|aiosmtplib HOST PORT N MESSAGE_FILE
Timed around connect..quit; cpu is this process's (time.process_time), so the
interpreter's start-up is not counted.
"""
import sys
import time

FROM, TO = "a@example.org", ["b@example.net"]


def run_smtplib(host, port, n, body):
    import smtplib
    s = smtplib.SMTP(host, port, local_hostname="client.example")
    for _ in range(n):
        refused = s.sendmail(FROM, TO, body)
        assert not refused, refused
    s.quit()


async def run_aiosmtplib(host, port, n, body):
    import aiosmtplib
    s = aiosmtplib.SMTP(hostname=host, port=port, use_tls=False, start_tls=False,
                        local_hostname="client.example")
    await s.connect()
    for _ in range(n):
        errors, _ = await s.sendmail(FROM, TO, body)
        assert not errors, errors
    await s.quit()


def main():
    kind, host, port, n, path = sys.argv[1:6]
    port, n = int(port), int(n)
    with open(path, "rb") as f:
        body = f.read()
    if kind == "aiosmtplib":
        import asyncio
        import aiosmtplib  # noqa: F401  (fail before timing when missing)
        t, c = time.perf_counter(), time.process_time()
        asyncio.run(run_aiosmtplib(host, port, n, body))
    else:
        t, c = time.perf_counter(), time.process_time()
        run_smtplib(host, port, n, body)
    print(time.perf_counter() - t, time.process_time() - c)


main()
