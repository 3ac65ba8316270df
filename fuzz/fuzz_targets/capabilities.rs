#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    smtp_tests::fuzz_bodies::capabilities(data);
});
