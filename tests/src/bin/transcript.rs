//! `cargo run -p smtp-tests --bin transcript -- PATH...` (arrives with the session engine).
fn main() {
    eprintln!("transcript runner: not built yet");
    std::process::exit(2);
}
