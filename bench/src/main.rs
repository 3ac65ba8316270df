//! smtp-bench: smtp-engine measured side by side with other SMTP clients in one run
//! (issue 11). `cargo run --release -p smtp-bench -- all [--quick]` prints the table
//! `| benchmark | ours | peer | peer value | ratio |` (ratio > 1: ours is better),
//! writes it to `BENCHMARKS.md` with the machine's facts, and plots msgs/s by
//! message size to `bench/msgs-by-size.svg`. Every server it starts (Postfix
//! `smtp-sink`, its own sinks and proxy) it stops again, also on error paths.

mod alloc;
mod callgrind;
mod counting;
mod encode;
mod micro;
mod parse;
mod peers;
mod plot;
mod proxy;
mod report;
mod rtt;
mod sections;
mod server;
mod sinks;
mod throughput;
mod timing;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

#[derive(Parser)]
#[command(about = "smtp-engine side by side with other SMTP clients (issue 11)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Every benchmark; writes BENCHMARKS.md and bench/msgs-by-size.svg.
    All {
        /// Fewer samples and messages: under a minute.
        #[arg(long)]
        quick: bool,
    },
    /// Only the in-process ones (parsing, encoding, core memory, callgrind); prints.
    Micro {
        /// Fewer samples.
        #[arg(long)]
        quick: bool,
    },
    /// Only the loopback ones (throughput, round trips, client CPU); prints.
    Net {
        /// Fewer messages.
        #[arg(long)]
        quick: bool,
    },
    /// Times the named in-process ops (ids as in `callgrind-child`) and prints ns per
    /// call: a quick look while working on one of them.
    Time {
        /// Op ids, e.g. `ours-1line stalwart-1line`.
        ids: Vec<String>,
    },
    /// Prints RSS and heap per idle core session for N sessions (used by the bench).
    #[command(hide = true)]
    IdleRss {
        /// Sessions.
        n: usize,
    },
    /// Runs ops under callgrind (used by the bench itself).
    #[command(hide = true)]
    CallgrindChild {
        /// `id:count` pairs.
        specs: Vec<String>,
    },
}

fn main() {
    match Cli::parse().cmd {
        Cmd::All { quick } => sections::all(quick, true, true),
        Cmd::Micro { quick } => sections::all(quick, true, false),
        Cmd::Net { quick } => sections::all(quick, false, true),
        Cmd::CallgrindChild { specs } => callgrind::child(&specs),
        Cmd::Time { ids } => {
            let effort = timing::Effort::new(false);
            for id in ids {
                println!("{id}: {:.1} ns", micro::time_op(&effort, &id));
            }
        }
        Cmd::IdleRss { n } => alloc::idle_rss_child(n),
    }
}
