//! Round trips per message: each client runs through the delaying proxy to the
//! bench's CHUNKING sink with `n` and then `2n` messages; the extra wall time over
//! the extra `n` messages, divided by the round-trip time, is the number of times
//! per message the client waited for the server (connection setup and QUIT cancel
//! out). Reported against the physical floor (1 with BDAT, 2 with DATA).

use std::sync::Arc;
use std::time::Duration;

use crate::peers::{self, Client, Job};
use crate::proxy::Proxy;
use crate::report::{Better, Report, Row};
use crate::sinks::{BenchSink, Sink};
use crate::throughput::{checked, label};
use crate::timing::Effort;

/// One-way delay of the proxy.
pub const ONE_WAY: Duration = Duration::from_millis(5);

/// Round trips per message of one client, or why not.
fn round_trips(
    c: &Client,
    chunking: bool,
    n: usize,
    sink: &BenchSink,
    proxy: &Proxy,
) -> Result<f64, String> {
    let msg = Arc::new(peers::message(1024));
    let job = |n| Job {
        addr: proxy.addr(),
        n,
        msg: msg.clone(),
        chunking,
    };
    // The proxied address counts at the sink behind it.
    let t1 = checked(c, &job(n), sink)?.wall;
    let t2 = checked(c, &job(2 * n), sink)?.wall;
    let rtt = 2.0 * ONE_WAY.as_secs_f64();
    Ok((t2.as_secs_f64() - t1.as_secs_f64()) / (n as f64 * rtt))
}

/// The rows: ours with CHUNKING against the BDAT floor and peers, and ours with
/// DATA against the pipelining floor.
pub fn run(report: &mut Report, effort: &Effort, sink: &BenchSink) {
    let proxy = match Proxy::start(sink.addr(), ONE_WAY) {
        Ok(p) => p,
        Err(e) => {
            let err = Err(format!("proxy failed: {e}"));
            report.push(Row::maybe(
                "round trips per message",
                err.clone(),
                "—",
                err,
                Better::Lower,
            ));
            return;
        }
    };
    let n = effort.count(20, 4);
    let rt = |name: &str, chunking| round_trips(&peers::client(name), chunking, n, sink, &proxy);
    let rtt_ms = 2 * ONE_WAY.as_millis();
    let ours_bdat = rt("smtp-engine smtp-io-std", true);
    let name = format!("round trips per 1 KiB message, CHUNKING offered, {rtt_ms} ms RTT");
    report.push(Row::maybe(
        &name,
        ours_bdat.clone(),
        "physical floor",
        Ok(1.0),
        Better::Lower,
    ));
    let tokio = rt("smtp-engine smtp-io-tokio", true);
    report.push(Row::maybe(
        &format!("{name}, smtp-io-tokio"),
        tokio,
        "physical floor",
        Ok(1.0),
        Better::Lower,
    ));
    for peer in [
        "bare BDAT loop",
        "lettre 0.11 SmtpTransport",
        "mail-send 0.7",
        "Postfix smtp-source",
        "Python smtplib",
    ] {
        let c = peers::client(peer);
        let chunking = peer.contains("BDAT");
        let v = round_trips(&c, chunking, n, sink, &proxy);
        report.push(Row::maybe(
            &name,
            ours_bdat.clone(),
            &label(&c, chunking),
            v,
            Better::Lower,
        ));
    }
    let ours_data = rt("smtp-engine smtp-io-std", false);
    let name = format!("round trips per 1 KiB message, DATA (CHUNKING off), {rtt_ms} ms RTT");
    report.push(Row::maybe(
        &name,
        ours_data.clone(),
        "physical floor",
        Ok(2.0),
        Better::Lower,
    ));
    let bare = rt("bare pipelining loop", false);
    report.push(Row::maybe(
        &name,
        ours_data,
        "bare pipelining loop",
        bare,
        Better::Lower,
    ));
}
