//! Property test over whole sessions: arbitrary server bytes (on an SMTP-like
//! alphabet), EOFs, timeouts, TLS outcomes and requests never panic, never grow
//! buffers past their bounds, and never produce output after the session closed or
//! plaintext between STARTTLS and the handshake.

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_sessions_keep_invariants(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        smtp_tests::session_ops::run_bytes(&data);
    }
}
