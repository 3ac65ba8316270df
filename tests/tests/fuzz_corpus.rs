//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the same
//! bodies the fuzz targets run, on stable, as part of `cargo test`.

use std::path::PathBuf;

fn replay(target: &str, body: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        let data = std::fs::read(&path).expect("corpus file");
        body(&data);
        n += 1;
    }
    assert!(n > 0, "no corpus files in {}", dir.display());
}

#[test]
fn reply_parser_corpus() {
    replay("reply_parser", smtp_tests::fuzz_bodies::reply_parser);
}

#[test]
fn capabilities_corpus() {
    replay("capabilities", smtp_tests::fuzz_bodies::capabilities);
}

#[test]
fn data_encoder_corpus() {
    replay("data_encoder", smtp_tests::fuzz_bodies::data_encoder);
}

#[test]
fn session_corpus() {
    replay("session", smtp_tests::fuzz_bodies::session);
}

#[test]
fn bdat_encoder_corpus() {
    replay("bdat_encoder", smtp_tests::fuzz_bodies::bdat_encoder);
}

#[test]
fn command_encoder_corpus() {
    replay("command_encoder", smtp_tests::fuzz_bodies::command_encoder);
}

#[test]
fn address_corpus() {
    replay("address", smtp_tests::fuzz_bodies::address);
}

#[test]
fn sasl_corpus() {
    replay("sasl", smtp_tests::fuzz_bodies::sasl);
}

#[test]
fn delivery_corpus() {
    replay("delivery", smtp_tests::fuzz_bodies::delivery);
}

#[test]
fn transcript_corpus() {
    replay("transcript", smtp_tests::fuzz_bodies::transcript);
}

#[test]
fn driver_std_corpus() {
    replay("driver_std", smtp_tests::fuzz_bodies::driver_std);
}

#[test]
fn driver_tokio_corpus() {
    replay("driver_tokio", smtp_tests::fuzz_bodies::driver_tokio);
}
