#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = smtp_tests::fuzz_bodies::capabilities(data);
});
