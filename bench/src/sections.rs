//! The run: starts the servers, measures section by section into one report, then
//! writes `BENCHMARKS.md` and the plot. The servers are dropped (stopped) at the
//! end of [`all`], or during unwinding if a benchmark panics.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::callgrind;
use crate::micro::{allocs_op, time_op};
use crate::peers::{self, external};
use crate::report::{self, Better, Report, Row};
use crate::sinks::{BenchSink, Sink, SmtpSink};
use crate::throughput::{self as tp, PerMsg, Point};
use crate::timing::Effort;

/// Instructions per call by op id, or why there are none.
type Instr = Result<BTreeMap<String, f64>, String>;

/// Runs the chosen sections and reports.
pub fn all(quick: bool, micro: bool, net: bool) {
    let start = Instant::now();
    let effort = Effort::new(quick);
    let mut report = Report::default();
    let smtp_sink = SmtpSink::start();
    let bench = BenchSink::start().expect("bench sink on 127.0.0.1");
    println!(
        "| benchmark | ours | peer | peer value | ratio |\n| --- | ---: | --- | ---: | ---: |"
    );
    let instr = instructions(quick, micro, net, smtp_sink.as_ref().ok(), &bench);
    if micro {
        parse_rows(&mut report, &effort, &instr);
        encode_rows(&mut report, &effort, &instr);
        crate::alloc::run(&mut report, quick);
        core_instr_rows(&mut report, &instr);
    }
    let mut points = Vec::new();
    if net {
        points = net_rows(&mut report, &effort, &smtp_sink, &bench, &instr, quick);
    }
    drop(bench);
    drop(smtp_sink);
    eprintln!(
        "smtp-bench: {} rows in {:.1} s",
        report.rows.len(),
        start.elapsed().as_secs_f64()
    );
    if micro && net {
        write(&report, &points, quick);
    }
}

/// One callgrind run for every in-process op (network ops need the sinks).
fn instructions(
    quick: bool,
    micro: bool,
    net: bool,
    sink: Option<&SmtpSink>,
    bench: &BenchSink,
) -> Instr {
    let (parse_n, core_n, net_n) = if quick {
        (200, 50, 20)
    } else {
        (2000, 500, 200)
    };
    let mut ops: Vec<(&str, usize)> = Vec::new();
    if micro {
        ops.extend(crate::parse::ops().iter().map(|o| (o.id, parse_n)));
        ops.extend(crate::encode::ops().iter().map(|o| (o.id, 1)));
        ops.extend(crate::alloc::ops().iter().map(|o| (o.id, core_n)));
    }
    let mut env = vec![(tp::ENV_CHUNK_SINK, bench.addr().to_string())];
    if net {
        if let Some(s) = sink {
            env.push((tp::ENV_DATA_SINK, s.addr().to_string()));
            ops.extend(tp::ops().iter().map(|o| (o.id, net_n)));
        } else {
            ops.extend(
                tp::ops()
                    .iter()
                    .filter(|o| o.id.contains("bdat"))
                    .map(|o| (o.id, net_n)),
            );
        }
    }
    let t = Instant::now();
    let r = callgrind::measure(&ops, &env);
    eprintln!("smtp-bench: callgrind {:.1} s", t.elapsed().as_secs_f64());
    r
}

fn instr_of(instr: &Instr, id: &str) -> Result<f64, String> {
    match instr {
        Ok(m) => m
            .get(id)
            .copied()
            .ok_or_else(|| format!("{id} not measured")),
        Err(e) => Err(e.clone()),
    }
}

/// Parsing: (benchmark, ours op, [(peer, peer op)]).
type Case = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

fn parse_cases() -> Vec<Case> {
    let st = "Stalwart smtp-proto ResponseReceiver";
    vec![
        (
            "parse `250 2.1.5 Ok`",
            "ours-1line",
            vec![
                (st, "stalwart-1line"),
                ("lettre Response::from_str", "lettre-1line"),
            ],
        ),
        (
            "parse 10-line EHLO + capabilities",
            "ours-ehlo-caps",
            vec![
                ("Stalwart EhloResponse::parse", "stalwart-ehlo-caps"),
                ("lettre Response + ServerInfo", "lettre-ehlo-caps"),
            ],
        ),
        (
            "parse 10-line EHLO reply (no capabilities)",
            "ours-ehlo-whole",
            vec![(st, "stalwart-ehlo-whole")],
        ),
        (
            "parse 10-line EHLO reply fed 7 B at a time",
            "ours-ehlo-7b",
            vec![
                (st, "stalwart-ehlo-7b"),
                ("ours, whole reply (target ratio ≥ 0.67)", "ours-ehlo-whole"),
            ],
        ),
        (
            "parse 10-line EHLO reply fed 1 B at a time",
            "ours-ehlo-1b",
            vec![
                (st, "stalwart-ehlo-1b"),
                ("ours, whole reply (target ratio ≥ 0.67)", "ours-ehlo-whole"),
            ],
        ),
    ]
}

fn parse_rows(report: &mut Report, effort: &Effort, instr: &Instr) {
    for (name, ours, peers) in parse_cases() {
        let o = time_op(effort, ours);
        for (peer, id) in &peers {
            report.push(Row::new(
                &format!("{name} (ns/reply)"),
                o,
                peer,
                time_op(effort, id),
                Better::Lower,
            ));
        }
        let a = |id| {
            let s = allocs_op(id);
            (s.allocs + s.reallocs) as f64
        };
        for (peer, id) in peers.iter().filter(|p| !p.1.starts_with("ours")) {
            report.push(Row::new(
                &format!("{name} (allocs+reallocs/reply)"),
                a(ours),
                peer,
                a(id),
                Better::Lower,
            ));
            let row = Row::maybe(
                &format!("{name} (instructions/reply)"),
                instr_of(instr, ours),
                peer,
                instr_of(instr, id),
                Better::Lower,
            );
            report.push(row);
        }
    }
}

fn encode_rows(report: &mut Report, effort: &Effort, instr: &Instr) {
    let bytes = crate::encode::TEXT_LEN as f64;
    let gbps = |id| bytes / time_op(effort, id);
    let memcpy = gbps("memcpy-10m");
    let peers = [
        ("mail-send write_message", "mail-send-10m"),
        ("lettre ClientCodec (loop copied, private)", "lettre-10m"),
    ];
    for (what, ours) in [
        ("DATA dot-stuffing", "ours-data-10m"),
        ("BDAT normalisation", "ours-bdat-10m"),
    ] {
        let o = gbps(ours);
        let name = format!("{what}, 10 MiB of 76-byte lines (GB/s)");
        report.push(Row::new(
            &name,
            o,
            "memcpy (ceiling; target ratio ≥ 0.70)",
            memcpy,
            Better::Higher,
        ));
        let iname = format!("{what}, 10 MiB of 76-byte lines (instructions/byte)");
        let per_byte = |id| instr_of(instr, id).map(|i| i / bytes);
        report.push(Row::maybe(
            &iname,
            per_byte(ours),
            "memcpy",
            per_byte("memcpy-10m"),
            Better::Lower,
        ));
        if ours.contains("data") {
            for (peer, id) in peers {
                report.push(Row::new(&name, o, peer, gbps(id), Better::Higher));
                report.push(Row::maybe(
                    &iname,
                    per_byte(ours),
                    peer,
                    per_byte(id),
                    Better::Lower,
                ));
            }
        }
    }
}

fn core_instr_rows(report: &mut Report, instr: &Instr) {
    for (what, id) in [("DATA", "core-tx-data"), ("BDAT", "core-tx-bdat")] {
        let name =
            format!("core instructions per 1-recipient 1 KiB transaction, in memory ({what})");
        let r = Row::maybe(
            &name,
            instr_of(instr, id),
            "no peer (core alone)",
            Err("—".into()),
            Better::Lower,
        );
        report.push(r);
    }
}

fn lineup(names: &[(&str, bool)]) -> tp::Lineup {
    names.iter().map(|(n, c)| (peers::client(n), *c)).collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const STD: &str = "smtp-engine smtp-io-std";
const TOKIO: &str = "smtp-engine smtp-io-tokio";

fn net_rows(
    report: &mut Report,
    effort: &Effort,
    smtp_sink: &Result<SmtpSink, String>,
    bench: &BenchSink,
    instr: &Instr,
    quick: bool,
) -> Vec<Point> {
    let data_peers = strings(&[
        "bare pipelining loop",
        "lettre 0.11 SmtpTransport",
        "lettre 0.11 AsyncSmtpTransport",
        "mail-send 0.7",
        "Postfix smtp-source",
        "Python smtplib",
        "Python aiosmtplib",
    ]);
    let mut points = Vec::new();
    let sink_name = "smtp-sink";
    match smtp_sink {
        Ok(sink) => {
            let mut names: Vec<(&str, bool)> = vec![(STD, false), (TOKIO, false)];
            names.extend(data_peers.iter().map(|p| (p.as_str(), false)));
            let t = Instant::now();
            points.extend(tp::matrix(effort, sink, &lineup(&names)));
            eprintln!(
                "smtp-bench: smtp-sink matrix {:.1} s",
                t.elapsed().as_secs_f64()
            );
            let what = "DATA + PIPELINING, smtp-sink";
            tp::rate_rows(report, &points, sink_name, what, STD, &data_peers);
            tp::rate_rows(
                report,
                &points,
                sink_name,
                what,
                TOKIO,
                &strings(&["bare pipelining loop"]),
            );
        }
        Err(e) => report.push(Row::maybe(
            "msgs/s via smtp-sink",
            Err(e.clone()),
            "all peers",
            Err(e.clone()),
            Better::Higher,
        )),
    }
    let chunk_names = [
        (STD, true),
        (TOKIO, true),
        ("bare BDAT loop", true),
        (STD, false),
        ("bare pipelining loop", false),
        ("Postfix smtp-source", false),
    ];
    let t = Instant::now();
    let chunk_points = tp::matrix(effort, bench, &lineup(&chunk_names));
    eprintln!(
        "smtp-bench: bench-sink matrix {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let bs = bench.name();
    let (std_b, tokio_b) = (format!("{STD} (BDAT)"), format!("{TOKIO} (BDAT)"));
    let what = "CHUNKING, bench sink";
    tp::rate_rows(
        report,
        &chunk_points,
        bs,
        what,
        &std_b,
        &strings(&["bare BDAT loop", "Postfix smtp-source", STD]),
    );
    tp::rate_rows(
        report,
        &chunk_points,
        bs,
        what,
        &tokio_b,
        &strings(&["bare BDAT loop"]),
    );
    tp::rate_rows(
        report,
        &chunk_points,
        bs,
        "DATA + PIPELINING, bench sink",
        STD,
        &strings(&["bare pipelining loop"]),
    );
    points.extend(chunk_points);
    let t = Instant::now();
    crate::rtt::run(report, effort, bench);
    eprintln!("smtp-bench: round trips {:.1} s", t.elapsed().as_secs_f64());
    cost_rows(report, &points, &data_peers, instr, smtp_sink, quick);
    points
}

fn cost_rows(
    report: &mut Report,
    points: &[Point],
    data_peers: &[String],
    instr: &Instr,
    sink: &Result<SmtpSink, String>,
    quick: bool,
) {
    let cpu = "client CPU per 1 KiB message (µs user+sys)";
    tp::per_msg_rows(
        report,
        points,
        "smtp-sink",
        &format!("{cpu}, smtp-sink"),
        PerMsg::Cpu,
        STD,
        data_peers,
    );
    let bs = "bench sink (CHUNKING)";
    let std_b = format!("{STD} (BDAT)");
    tp::per_msg_rows(
        report,
        points,
        bs,
        &format!("{cpu}, BDAT, bench sink"),
        PerMsg::Cpu,
        &std_b,
        &strings(&["bare BDAT loop"]),
    );
    let rust_peers: Vec<String> = data_peers
        .iter()
        .filter(|p| !p.contains("Python") && !p.contains("Postfix"))
        .cloned()
        .collect();
    let name = "whole send loop, heap allocs+reallocs per 1 KiB message, smtp-sink";
    tp::per_msg_rows(
        report,
        points,
        "smtp-sink",
        name,
        PerMsg::Allocs,
        STD,
        &rust_peers,
    );
    let name = "whole send loop, heap bytes allocated per 1 KiB message, smtp-sink";
    tp::per_msg_rows(
        report,
        points,
        "smtp-sink",
        name,
        PerMsg::Bytes,
        STD,
        &rust_peers,
    );
    let name = "whole send loop, heap allocs+reallocs per 1 KiB message, BDAT, bench sink";
    tp::per_msg_rows(
        report,
        points,
        bs,
        name,
        PerMsg::Allocs,
        &std_b,
        &strings(&["bare BDAT loop"]),
    );
    let name = "client instructions per 1 KiB message (callgrind), DATA, smtp-sink";
    let source = smtp_source_instr(sink, quick);
    let ours = instr_of(instr, "net-ours-std-data-1k");
    report.push(Row::maybe(
        name,
        ours.clone(),
        "Postfix smtp-source (whole process, differenced)",
        source,
        Better::Lower,
    ));
    report.push(Row::maybe(
        name,
        ours,
        "bare pipelining loop",
        instr_of(instr, "net-bare-pipelining-1k"),
        Better::Lower,
    ));
    let name = "client instructions per 1 KiB message (callgrind), BDAT, bench sink";
    let (o, b) = (
        instr_of(instr, "net-ours-std-bdat-1k"),
        instr_of(instr, "net-bare-bdat-1k"),
    );
    report.push(Row::maybe(name, o, "bare BDAT loop", b, Better::Lower));
}

/// smtp-source's instructions per message: two whole runs under callgrind, differenced.
fn smtp_source_instr(sink: &Result<SmtpSink, String>, quick: bool) -> Result<f64, String> {
    let sink = sink.as_ref().map_err(Clone::clone)?;
    if !std::path::Path::new(external::SMTP_SOURCE).exists() {
        return Err("unavailable: smtp-source not installed".into());
    }
    let (n1, n2) = if quick { (10, 60) } else { (20, 220) };
    let cmd = |n: usize| -> Vec<String> {
        let args = [
            "-d",
            "-s",
            "1",
            "-m",
            &n.to_string(),
            "-l",
            "1024",
            "-f",
            peers::FROM,
            "-t",
            peers::TO,
        ];
        let mut v = vec![external::SMTP_SOURCE.to_string()];
        v.extend(args.iter().map(|a| a.to_string()));
        v.push(sink.addr().to_string());
        v
    };
    let (a, b) = (
        callgrind::external(&cmd(n1))?,
        callgrind::external(&cmd(n2))?,
    );
    Ok((b.saturating_sub(a)) as f64 / (n2 - n1) as f64)
}

/// Writes `BENCHMARKS.md` and the plot.
fn write(report: &Report, points: &[Point], quick: bool) {
    let root = external::root();
    let cmd = format!(
        "cargo run --release -p smtp-bench -- all{}",
        if quick { " --quick" } else { "" }
    );
    let machine = report::machine(&root, &external::python());
    let md = root.join("BENCHMARKS.md");
    match report::write_markdown(&md, &cmd, &machine, &report.table()) {
        Ok(()) => eprintln!("smtp-bench: wrote {}", md.display()),
        Err(e) => eprintln!("smtp-bench: cannot write {}: {e}", md.display()),
    }
    let svg = root.join("bench/msgs-by-size.svg");
    let title = "msgs/s by message size, one connection over loopback";
    match std::fs::write(&svg, crate::plot::svg(points, title)) {
        Ok(()) => eprintln!("smtp-bench: wrote {}", svg.display()),
        Err(e) => eprintln!("smtp-bench: cannot write {}: {e}", svg.display()),
    }
}
