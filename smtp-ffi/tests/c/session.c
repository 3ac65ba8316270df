/*
 * Drives whole SMTP sessions through the C ABI against scripted server replies,
 * checking every byte the client writes and every event it emits. Run by
 * tests/run-c-test.sh (plain, then under valgrind).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"

static int checks;

#define CHECK(cond)                                                              \
    do {                                                                         \
        checks++;                                                                \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

#define OK(call) CHECK((call) == SMTP_RESULT_OK)

/* One session under test: the client, the clock, the bytes written so far. */
static smtp_client *client;
static uint64_t now;
static smtp_event ev;

static const uint64_t MS = 1000000;

static void new_client(const smtp_config *cfg) {
    client = NULL;
    now = 1000 * MS;
    OK(smtp_client_new(cfg, now, &client));
    CHECK(client != NULL);
}

static void config_for(smtp_config *cfg) {
    OK(smtp_config_init(cfg));
    cfg->hello_name = "client.example";
    cfg->tls_mode = SMTP_TLS_MODE_NONE;
}

/* The server sends `text` (CRLFs included). */
static void server(const char *text) {
    now += MS;
    OK(smtp_client_receive(client, now, (const uint8_t *)text, strlen(text)));
}

/* Everything the client has queued, written in two partial writes where possible to
 * exercise transmitted(); must equal `want` exactly. */
static void expect_written(const char *want) {
    char got[8192];
    size_t got_len = 0;
    for (;;) {
        const uint8_t *p = (const uint8_t *)"x";
        size_t n = 99;
        OK(smtp_client_transmit(client, &p, &n));
        if (n == 0) {
            CHECK(p == NULL);
            break;
        }
        CHECK(got_len + n <= sizeof got);
        size_t first = n > 1 ? n / 2 : n;
        memcpy(got + got_len, p, first);
        got_len += first;
        OK(smtp_client_transmitted(client, now, first));
    }
    if (got_len != strlen(want) || memcmp(got, want, got_len) != 0) {
        fprintf(stderr, "client wrote \"%.*s\"\nexpected     \"%s\"\n", (int)got_len, got, want);
        exit(1);
    }
    checks++;
}

static void expect_nothing_written(void) { expect_written(""); }

/* The next event must be of `kind`; it stays in `ev` for further checks. */
static void expect_event(smtp_event_kind kind) {
    smtp_result r = smtp_client_poll_event(client, &ev);
    if (r != SMTP_RESULT_OK || ev.kind != kind) {
        fprintf(stderr, "expected event %u, got result %u (%s) kind %u\n", (unsigned)kind,
                (unsigned)r, smtp_result_text(r), r == SMTP_RESULT_OK ? (unsigned)ev.kind : 0u);
        exit(1);
    }
    checks++;
}

static void expect_no_event(void) {
    smtp_event e;
    e.kind = 4242;
    CHECK(smtp_client_poll_event(client, &e) == SMTP_RESULT_NO_EVENT);
    CHECK(e.kind == 4242); /* out-parameters are written only on success */
}

static int str_is(smtp_str s, const char *want) {
    return s.ptr != NULL && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static int bytes_are(smtp_bytes b, const char *want) {
    return b.ptr != NULL && b.len == strlen(want) && memcmp(b.ptr, want, b.len) == 0;
}

static void hand_over_body(const char *body) {
    size_t len = strlen(body), off = 0;
    while (off < len) {
        size_t cap = smtp_client_body_capacity(client);
        CHECK(cap > 0);
        size_t part = len - off > 7 ? 7 : len - off; /* small pieces: dot-stuffing spans them */
        size_t taken = 0;
        OK(smtp_client_body(client, now, (const uint8_t *)body + off, part, &taken));
        CHECK(taken == part);
        off += taken;
    }
    OK(smtp_client_end_body(client, now));
    CHECK(smtp_client_body_capacity(client) == 0);
}

static void expect_last_error(const char *prefix) {
    smtp_str s;
    OK(smtp_client_last_error(client, &s));
    if (s.len < strlen(prefix) || memcmp(s.ptr, prefix, strlen(prefix)) != 0) {
        fprintf(stderr, "last error \"%.*s\" does not start with \"%s\"\n", (int)s.len, s.ptr,
                prefix);
        exit(1);
    }
}

/* Greeting, EHLO, MAIL, two RCPTs (one refused), DATA, a dot-stuffed body, QUIT; no
 * PIPELINING, so each command waits for its reply. */
static void full_session(void) {
    smtp_config cfg;
    config_for(&cfg);
    new_client(&cfg);
    expect_nothing_written();
    expect_no_event();
    uint64_t deadline = 0;
    OK(smtp_client_next_timeout(client, &deadline));
    CHECK(deadline == now + 5ull * 60 * 1000 * MS); /* RFC 5321 greeting timeout */

    /* A request before the session is ready is a usage error and writes nothing. */
    const char *to[] = {"b@example.net", "c@example.net"};
    smtp_envelope env = {.from = "a@example.org", .to = to, .to_len = 2};
    CHECK(smtp_client_send(client, now, &env) == SMTP_RESULT_USAGE_NOT_READY);
    expect_last_error("session not ready");
    expect_nothing_written();

    server("220 mx.example.net ESMTP ready\r\n");
    expect_event(SMTP_EVENT_KIND_GREETING);
    CHECK(str_is(ev.text, "mx.example.net"));
    CHECK(ev.reply.code == 220);
    CHECK(bytes_are(ev.reply.text, "mx.example.net ESMTP ready"));
    expect_no_event();
    expect_written("EHLO client.example\r\n");

    server("250-mx.example.net hello\r\n250-ENHANCEDSTATUSCODES\r\n250-SIZE 1000000\r\n"
           "250 AUTH PLAIN LOGIN\r\n");
    expect_event(SMTP_EVENT_KIND_CAPABILITIES);
    CHECK(str_is(ev.capabilities.domain, "mx.example.net"));
    CHECK(ev.capabilities.flags & SMTP_CAPABILITY_FLAG_ENHANCED_STATUS_CODES);
    CHECK(ev.capabilities.flags & SMTP_CAPABILITY_FLAG_SIZE);
    CHECK(!(ev.capabilities.flags & SMTP_CAPABILITY_FLAG_PIPELINING));
    CHECK(ev.capabilities.max_size == 1000000);
    CHECK(str_is(ev.capabilities.auth_mechanisms, "PLAIN LOGIN"));
    expect_event(SMTP_EVENT_KIND_READY);
    expect_no_event();
    CHECK(smtp_client_next_timeout(client, &deadline) == SMTP_RESULT_NO_DEADLINE);

    /* A bad address is a usage error with the engine's text. */
    const char *bad[] = {"not an address"};
    smtp_envelope bad_env = {.from = "a@example.org", .to = bad, .to_len = 1};
    CHECK(smtp_client_send(client, now, &bad_env) == SMTP_RESULT_USAGE_ADDRESS);
    expect_last_error("invalid address");
    smtp_envelope empty_env = {.from = "a@example.org", .to = NULL, .to_len = 0};
    CHECK(smtp_client_send(client, now, &empty_env) == SMTP_RESULT_USAGE_NO_RECIPIENTS);
    const char *null_rcpt[] = {NULL};
    smtp_envelope null_env = {.from = "a@example.org", .to = null_rcpt, .to_len = 1};
    CHECK(smtp_client_send(client, now, &null_env) == SMTP_RESULT_NULL_ARGUMENT);
    expect_nothing_written();

    const char *body = "Subject: hi\r\n\r\n.hello\r\n..two dots\r\n";
    env.size = strlen(body);
    OK(smtp_client_send(client, now, &env));
    char mail[64];
    snprintf(mail, sizeof mail, "MAIL FROM:<a@example.org> SIZE=%zu\r\n", strlen(body));
    expect_written(mail);
    expect_no_event();
    /* Body before the 354 is a usage error. */
    size_t taken = 12345;
    CHECK(smtp_client_body(client, now, (const uint8_t *)"x", 1, &taken) ==
          SMTP_RESULT_USAGE_NO_BODY_WANTED);
    CHECK(taken == 12345);
    CHECK(smtp_client_body_capacity(client) == 0);

    server("250 2.1.0 sender ok\r\n");
    expect_no_event();
    expect_written("RCPT TO:<b@example.net>\r\n");
    server("250 2.1.5 recipient ok\r\n");
    expect_event(SMTP_EVENT_KIND_RECIPIENT_ACCEPTED);
    CHECK(ev.index == 0);
    CHECK(ev.reply.code == 250);
    CHECK(ev.reply.enhanced.class_ == 2 && ev.reply.enhanced.subject == 1 &&
          ev.reply.enhanced.detail == 5);
    expect_written("RCPT TO:<c@example.net>\r\n");

    server("550 5.1.1 <c@example.net>: no such user\r\n");
    expect_event(SMTP_EVENT_KIND_RECIPIENT_REJECTED);
    CHECK(ev.index == 1);
    CHECK(ev.has_error);
    CHECK(ev.error.kind == SMTP_ERROR_KIND_STATUS);
    CHECK(str_is(ev.error.kind_name, "status"));
    CHECK(ev.error.permanent);
    CHECK(ev.error.code == 550);
    CHECK(ev.error.enhanced.class_ == 5 && ev.error.enhanced.subject == 1 &&
          ev.error.enhanced.detail == 1);
    CHECK(str_is(ev.error.command, "RCPT"));
    CHECK(bytes_are(ev.error.text, "5.1.1 <c@example.net>: no such user"));
    CHECK(ev.error.message.len > 0);
    expect_no_event();
    expect_written("DATA\r\n");

    server("354 go ahead\r\n");
    expect_event(SMTP_EVENT_KIND_BODY_WANTED);
    expect_no_event();
    hand_over_body(body);
    expect_written("Subject: hi\r\n\r\n..hello\r\n...two dots\r\n.\r\n");

    server("250 2.0.0 queued as 1234\r\n");
    expect_event(SMTP_EVENT_KIND_DELIVERED);
    CHECK(ev.reply.code == 250);
    CHECK(bytes_are(ev.reply.text, "2.0.0 queued as 1234"));
    expect_event(SMTP_EVENT_KIND_READY);
    expect_no_event();

    OK(smtp_client_noop(client, now));
    expect_written("NOOP\r\n");
    server("250 2.0.0 ok\r\n");
    expect_event(SMTP_EVENT_KIND_COMMAND_DONE);
    CHECK(str_is(ev.verb, "NOOP"));
    expect_event(SMTP_EVENT_KIND_READY);

    OK(smtp_client_quit(client, now));
    expect_written("QUIT\r\n");
    server("221 2.0.0 bye\r\n");
    expect_event(SMTP_EVENT_KIND_CLOSED);
    CHECK(!ev.has_error);
    CHECK(ev.error.kind == SMTP_ERROR_KIND_NONE);
    expect_no_event();
    expect_nothing_written();
    CHECK(smtp_client_next_timeout(client, &deadline) == SMTP_RESULT_NO_DEADLINE);

    smtp_client_free(client);
}

/* PIPELINING: MAIL, RCPT and DATA in one flight; the server answers 421 mid-flight.
 * The recipient and the transaction fail transient, the session closes, and later
 * requests write nothing. */
static void pipelined_421(void) {
    smtp_config cfg;
    config_for(&cfg);
    new_client(&cfg);
    server("220 mx.example.net ESMTP\r\n");
    expect_event(SMTP_EVENT_KIND_GREETING);
    expect_written("EHLO client.example\r\n");
    server("250-mx.example.net\r\n250 PIPELINING\r\n");
    expect_event(SMTP_EVENT_KIND_CAPABILITIES);
    CHECK(ev.capabilities.flags & SMTP_CAPABILITY_FLAG_PIPELINING);
    expect_event(SMTP_EVENT_KIND_READY);

    const char *to[] = {"b@example.net"};
    smtp_envelope env = {.from = "", .to = to, .to_len = 1};
    OK(smtp_client_send(client, now, &env));
    expect_written("MAIL FROM:<>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
    server("250 ok\r\n421 4.3.2 shutting down\r\n");
    expect_event(SMTP_EVENT_KIND_RECIPIENT_REJECTED);
    CHECK(ev.index == 0);
    CHECK(!ev.error.permanent);
    CHECK(ev.error.code == 421);
    expect_event(SMTP_EVENT_KIND_TRANSACTION_FAILED);
    CHECK(ev.error.code == 421);
    CHECK(!ev.error.permanent);
    CHECK(ev.error.kind == SMTP_ERROR_KIND_STATUS);
    expect_event(SMTP_EVENT_KIND_CLOSED);
    CHECK(ev.has_error);
    CHECK(ev.error.code == 421);
    CHECK(bytes_are(ev.error.text, "4.3.2 shutting down"));
    expect_no_event();
    expect_nothing_written(); /* no QUIT after 421 */

    /* The session is closed: QUIT writes nothing and fails with kind closed. */
    OK(smtp_client_quit(client, now));
    expect_event(SMTP_EVENT_KIND_COMMAND_FAILED);
    CHECK(str_is(ev.verb, "QUIT"));
    CHECK(ev.error.kind == SMTP_ERROR_KIND_CLOSED);
    expect_nothing_written();
    /* Bytes after the close are ignored. */
    server("250 late\r\n");
    expect_no_event();

    smtp_client_free(client);
}

/* A refused greeting and a deadline: a 554 greeting closes with a permanent status
 * error and a best-effort QUIT; a silent server times out. */
static void refused_and_timeout(void) {
    smtp_config cfg;
    config_for(&cfg);
    new_client(&cfg);
    server("554 5.7.1 go away\r\n");
    expect_event(SMTP_EVENT_KIND_CLOSED);
    CHECK(ev.has_error);
    CHECK(ev.error.permanent);
    CHECK(ev.error.code == 554);
    CHECK(str_is(ev.error.command, "(greeting)"));
    expect_written("QUIT\r\n");
    smtp_client_free(client);

    smtp_timeout t = {.phase = "greeting", .ms = 30000};
    cfg.timeouts = &t;
    cfg.timeouts_len = 1;
    new_client(&cfg);
    uint64_t deadline = 0;
    OK(smtp_client_next_timeout(client, &deadline));
    CHECK(deadline == now + 30000 * MS);
    OK(smtp_client_handle_timeout(client, deadline - 1));
    expect_no_event();
    OK(smtp_client_handle_timeout(client, deadline));
    expect_event(SMTP_EVENT_KIND_CLOSED);
    CHECK(ev.error.kind == SMTP_ERROR_KIND_TIMEOUT);
    CHECK(str_is(ev.error.kind_name, "timeout"));
    smtp_client_free(client);
}

/* STARTTLS (required), the engine asks for the handshake, then EHLO again and AUTH
 * LOGIN over the "TLS" session; traces show the AUTH payloads redacted. */
static void starttls_and_auth(void) {
    smtp_config cfg;
    config_for(&cfg);
    cfg.tls_mode = SMTP_TLS_MODE_REQUIRED_START_TLS;
    cfg.username = "u";
    cfg.password = "p";
    cfg.auth_mechanisms = SMTP_AUTH_MECHANISM_LOGIN;
    cfg.trace = true;
    new_client(&cfg);
    server("220 mx.example.net ESMTP\r\n");
    expect_event(SMTP_EVENT_KIND_TRACE);
    CHECK(ev.trace_kind == SMTP_TRACE_KIND_REPLY);
    CHECK(ev.reply.code == 220);
    expect_event(SMTP_EVENT_KIND_GREETING);
    expect_event(SMTP_EVENT_KIND_TRACE);
    CHECK(ev.trace_kind == SMTP_TRACE_KIND_COMMAND);
    CHECK(str_is(ev.text, "EHLO client.example"));
    expect_written("EHLO client.example\r\n");
    server("250-mx.example.net\r\n250-STARTTLS\r\n250 AUTH LOGIN PLAIN\r\n");
    expect_event(SMTP_EVENT_KIND_TRACE);
    expect_event(SMTP_EVENT_KIND_CAPABILITIES);
    expect_event(SMTP_EVENT_KIND_TRACE);
    CHECK(str_is(ev.text, "STARTTLS"));
    expect_written("STARTTLS\r\n");
    server("220 2.0.0 ready for TLS\r\n");
    expect_event(SMTP_EVENT_KIND_TRACE);
    expect_event(SMTP_EVENT_KIND_START_TLS);
    expect_no_event();
    expect_nothing_written();

    /* Bad TLS facts are refused and change nothing. */
    smtp_tls_info bad = {.channel_binding_kind = 77};
    CHECK(smtp_client_tls_established(client, now, &bad) == SMTP_RESULT_INVALID_ARGUMENT);
    static const uint8_t leaf[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    smtp_bytes chain[] = {{.ptr = leaf, .len = sizeof leaf}};
    static const uint8_t binding[32] = {1, 2, 3};
    smtp_tls_info info = {
        .protocol = "TLSv1.3",
        .cipher_suite = "TLS13_AES_128_GCM_SHA256",
        .channel_binding_kind = SMTP_CHANNEL_BINDING_KIND_TLS_EXPORTER,
        .channel_binding = binding,
        .channel_binding_len = sizeof binding,
        .peer_certificates = chain,
        .peer_certificates_len = 1,
    };
    OK(smtp_client_tls_established(client, now, &info));
    expect_event(SMTP_EVENT_KIND_TRACE);
    expect_written("EHLO client.example\r\n");
    server("250-mx.example.net\r\n250 AUTH LOGIN PLAIN\r\n");
    expect_event(SMTP_EVENT_KIND_TRACE);
    expect_event(SMTP_EVENT_KIND_CAPABILITIES);
    CHECK(!(ev.capabilities.flags & SMTP_CAPABILITY_FLAG_STARTTLS));
    CHECK(ev.capabilities.flags & SMTP_CAPABILITY_FLAG_AUTH);
    expect_event(SMTP_EVENT_KIND_TRACE);
    CHECK(str_is(ev.text, "AUTH LOGIN"));
    expect_written("AUTH LOGIN\r\n");
    server("334 VXNlcm5hbWU6\r\n");
    expect_event(SMTP_EVENT_KIND_TRACE);
    expect_event(SMTP_EVENT_KIND_TRACE);
    CHECK(str_is(ev.text, "<redacted>"));
    expect_written("dQ==\r\n");
    server("334 UGFzc3dvcmQ6\r\n");
    expect_event(SMTP_EVENT_KIND_TRACE);
    expect_event(SMTP_EVENT_KIND_TRACE);
    expect_written("cA==\r\n");
    server("235 2.7.0 authenticated\r\n");
    expect_event(SMTP_EVENT_KIND_TRACE);
    expect_event(SMTP_EVENT_KIND_AUTHENTICATED);
    CHECK(str_is(ev.text, "LOGIN"));
    expect_event(SMTP_EVENT_KIND_READY);
    smtp_client_free(client);

    /* PLAIN without TLS needs allow_plaintext_auth; it goes on the AUTH line. */
    config_for(&cfg);
    cfg.username = "u";
    cfg.password = "p";
    cfg.allow_plaintext_auth = true;
    new_client(&cfg);
    server("220 mx.example.net ESMTP\r\n");
    expect_event(SMTP_EVENT_KIND_GREETING);
    expect_written("EHLO client.example\r\n");
    server("250-mx.example.net\r\n250 AUTH LOGIN PLAIN\r\n");
    expect_event(SMTP_EVENT_KIND_CAPABILITIES);
    expect_written("AUTH PLAIN AHUAcA==\r\n");
    server("235 ok\r\n");
    expect_event(SMTP_EVENT_KIND_AUTHENTICATED);
    CHECK(str_is(ev.text, "PLAIN"));
    expect_event(SMTP_EVENT_KIND_READY);
    /* The server drops the connection: closed, botched, nothing written. */
    OK(smtp_client_receive_eof(client, now));
    expect_event(SMTP_EVENT_KIND_CLOSED);
    CHECK(ev.error.kind == SMTP_ERROR_KIND_CLOSED);
    expect_nothing_written();
    smtp_client_free(client);

    /* A failed handshake is a transient tls error. */
    config_for(&cfg);
    cfg.tls_mode = SMTP_TLS_MODE_IMMEDIATE;
    new_client(&cfg);
    expect_event(SMTP_EVENT_KIND_START_TLS);
    CHECK(smtp_client_tls_failed(client, now, 99, NULL) == SMTP_RESULT_INVALID_ARGUMENT);
    OK(smtp_client_tls_failed(client, now, SMTP_TLS_FAILURE_KIND_CERTIFICATE_NOT_TRUSTED,
                              "unknown issuer"));
    expect_event(SMTP_EVENT_KIND_CLOSED);
    CHECK(ev.error.kind == SMTP_ERROR_KIND_TLS);
    CHECK(!ev.error.permanent);
    expect_nothing_written();
    smtp_client_free(client);
}

/* NULLs, bad strings and bad values are result codes, never crashes. */
static void misuse(void) {
    smtp_client_free(NULL);
    smtp_client *c = (smtp_client *)0x1;
    CHECK(smtp_client_new(NULL, 0, &c) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(c == (smtp_client *)0x1);
    smtp_config cfg;
    CHECK(smtp_config_init(NULL) == SMTP_RESULT_NULL_ARGUMENT);
    config_for(&cfg);
    CHECK(smtp_client_new(&cfg, 0, NULL) == SMTP_RESULT_NULL_ARGUMENT);
    cfg.hello_name = NULL;
    CHECK(smtp_client_new(&cfg, 0, &c) == SMTP_RESULT_NULL_ARGUMENT);
    cfg.hello_name = "bad\xff";
    CHECK(smtp_client_new(&cfg, 0, &c) == SMTP_RESULT_INVALID_UTF8);
    cfg.hello_name = "not a host name";
    CHECK(smtp_client_new(&cfg, 0, &c) == SMTP_RESULT_INVALID_ARGUMENT);
    cfg.hello_name = "client.example";
    cfg.tls_mode = 17;
    CHECK(smtp_client_new(&cfg, 0, &c) == SMTP_RESULT_INVALID_ARGUMENT);
    cfg.tls_mode = SMTP_TLS_MODE_NONE;
    cfg.username = "u";
    CHECK(smtp_client_new(&cfg, 0, &c) == SMTP_RESULT_NULL_ARGUMENT); /* no password */
    cfg.password = "p";
    cfg.auth_mechanisms = 1u << 20;
    CHECK(smtp_client_new(&cfg, 0, &c) == SMTP_RESULT_INVALID_ARGUMENT);
    cfg.auth_mechanisms = 0;
    smtp_timeout t = {.phase = "no-such-phase", .ms = 1};
    cfg.timeouts = &t;
    cfg.timeouts_len = 1;
    CHECK(smtp_client_new(&cfg, 0, &c) == SMTP_RESULT_INVALID_ARGUMENT);
    CHECK(c == (smtp_client *)0x1);

    config_for(&cfg);
    new_client(&cfg);
    const uint8_t *p;
    size_t n;
    uint64_t d;
    CHECK(smtp_client_receive(NULL, 0, (const uint8_t *)"x", 1) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_receive(client, now, NULL, 1) == SMTP_RESULT_NULL_ARGUMENT);
    OK(smtp_client_receive(client, now, NULL, 0));
    CHECK(smtp_client_transmit(client, NULL, &n) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_transmit(NULL, &p, &n) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_transmitted(client, now, 1) == SMTP_RESULT_INVALID_ARGUMENT);
    CHECK(smtp_client_poll_event(client, NULL) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_next_timeout(client, NULL) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_next_timeout(NULL, &d) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_send(client, now, NULL) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_body(client, now, NULL, 0, NULL) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_end_body(client, now) == SMTP_RESULT_USAGE_NO_BODY_WANTED);
    CHECK(smtp_client_reset(client, now) == SMTP_RESULT_USAGE_NOT_READY);
    CHECK(smtp_client_noop(NULL, now) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_quit(client, now) == SMTP_RESULT_USAGE_NOT_READY);
    CHECK(smtp_client_last_error(client, NULL) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_body_capacity(NULL) == 0);
    CHECK(smtp_client_handle_timeout(NULL, 0) == SMTP_RESULT_NULL_ARGUMENT);
    CHECK(smtp_client_tls_established(NULL, 0, NULL) == SMTP_RESULT_NULL_ARGUMENT);
    expect_nothing_written();
    smtp_client_free(client);

    CHECK(strcmp(smtp_result_text(SMTP_RESULT_OK), "ok") == 0);
    CHECK(strcmp(smtp_result_text(12345), "unknown result") == 0);
    CHECK(smtp_struct_size(SMTP_STRUCT_EVENT) == sizeof(smtp_event));
    CHECK(smtp_struct_size(SMTP_STRUCT_CONFIG) == sizeof(smtp_config));
    CHECK(smtp_struct_size(SMTP_STRUCT_ENVELOPE) == sizeof(smtp_envelope));
    CHECK(smtp_struct_size(SMTP_STRUCT_TLS_INFO) == sizeof(smtp_tls_info));
    CHECK(smtp_struct_size(SMTP_STRUCT_TIMEOUT) == sizeof(smtp_timeout));
    CHECK(smtp_struct_size(SMTP_STRUCT_ERROR) == sizeof(smtp_error));
    CHECK(smtp_struct_size(SMTP_STRUCT_REPLY) == sizeof(smtp_reply));
    CHECK(smtp_struct_size(SMTP_STRUCT_CAPABILITIES) == sizeof(smtp_capabilities));
    CHECK(smtp_struct_size(SMTP_STRUCT_STR) == sizeof(smtp_str));
    CHECK(smtp_struct_size(999) == 0);
    CHECK(strlen(smtp_version()) > 0);
}

int main(void) {
    full_session();
    pipelined_421();
    refused_and_timeout();
    starttls_and_auth();
    misuse();
    printf("session.c: %d checks passed (libsmtp_ffi %s)\n", checks, smtp_version());
    return 0;
}
