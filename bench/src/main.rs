//! Benchmarks (skeleton): arrives with the drivers, to compare against lettre,
//! mail-send and aiosmtplib in one run.
fn main() {
    println!("smtp-bench: no benchmarks yet");
}
