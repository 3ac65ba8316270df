//! The bodies of the `fuzz/` targets, shared so that `cargo test` on stable replays
//! the committed corpus through exactly the code the fuzzer runs.
