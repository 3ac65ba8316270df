//! Runs `python/run-tests.sh`: the Python package's pytest suite (scripted sessions,
//! real sessions against aiosmtpd with and without TLS, and the project's
//! transcripts through the binding). A missing Python, venv module or package that
//! cannot be installed fails this test (it is never skipped).

use std::path::Path;
use std::process::Command;

#[test]
fn python_package_tests_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let out = Command::new("bash")
        .arg(root.join("python/run-tests.sh"))
        .env("CARGO", env!("CARGO"))
        .output()
        .expect("run python/run-tests.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "python/run-tests.sh failed ({}); a missing tool is an error: \
         apt-get install python3-venv python3-aiosmtpd",
        out.status
    );
    assert!(
        stdout.contains(" passed"),
        "pytest reported no passed tests"
    );
}
