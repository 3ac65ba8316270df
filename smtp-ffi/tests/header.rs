//! The committed `include/smtp.h` must be what cbindgen makes of the source now.
//! `scripts/gen-header` (`SMTP_FFI_BLESS=1`) rewrites it instead of comparing.

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = dir.join("include/smtp.h");
    if std::env::var_os("SMTP_FFI_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/smtp.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "smtp-ffi/include/smtp.h is stale: run scripts/gen-header and commit the result"
    );
}
