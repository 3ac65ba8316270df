//! The DANE example, run as a test: a `3 1 1` record that matches lets the session
//! through; one that does not fails it as a transient `tls` error whose TLS report
//! says `tlsa-invalid`.
#![cfg(feature = "rustls")]

#[path = "../examples/dane.rs"]
mod dane;

use smtp_io_std::DriverError;
use smtp_proto::ErrorKind;

#[test]
fn a_matching_tlsa_record_lets_the_session_through_and_a_wrong_one_does_not() {
    let (cert, key, record) = dane::server_identity();
    dane::send_with_dane(vec![record.clone()], cert.clone(), key.clone_key()).unwrap();
    let mut wrong = record;
    wrong.data[0] ^= 0xff;
    match dane::send_with_dane(vec![wrong], cert, key) {
        Err(DriverError::Session(e)) => {
            assert_eq!(e.kind, ErrorKind::Tls);
            assert!(e.detail.contains("NoTlsaMatch"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}
