//! Runs `tests/run-c-test.sh`: builds the library, compiles `tests/c/session.c` with
//! the machine's `cc`, runs it and runs it under valgrind. A missing `cc` or
//! `valgrind` fails this test (it is never skipped).

use std::path::Path;
use std::process::Command;

#[test]
fn c_session_passes_plain_and_under_valgrind() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/run-c-test.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("CARGO", env!("CARGO"))
        .output()
        .expect("run tests/run-c-test.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "tests/run-c-test.sh failed ({}); a missing cc or valgrind is an error: \
         apt-get install gcc valgrind",
        out.status
    );
    assert!(
        stderr.contains("ERROR SUMMARY: 0 errors"),
        "no valgrind summary"
    );
}
