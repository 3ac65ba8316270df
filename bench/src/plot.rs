//! The plot: messages per second by message size for every client, one polyline
//! each, log-scaled y axis, written as SVG by hand.

use std::fmt::Write as _;

use crate::throughput::{Point, SIZES};

const W: f64 = 1000.0;
const H: f64 = 520.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 400.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLORS: [&str; 12] = [
    "#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#000000", "#aec7e8",
];

/// The series: one per (client, server), its rates by size.
fn series(points: &[Point]) -> Vec<(String, Vec<(usize, f64)>)> {
    let mut out: Vec<(String, Vec<(usize, f64)>)> = Vec::new();
    for p in points {
        let Ok(rate) = p.rate else { continue };
        let server = p.server.trim_end_matches(" (CHUNKING)");
        let name = format!("{} → {server}", p.client);
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push((p.size, rate)),
            None => out.push((name, vec![(p.size, rate)])),
        }
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The SVG document.
pub fn svg(points: &[Point], title: &str) -> String {
    let all = series(points);
    let max = all
        .iter()
        .flat_map(|(_, v)| v.iter().map(|p| p.1))
        .fold(1.0, f64::max);
    let min = all
        .iter()
        .flat_map(|(_, v)| v.iter().map(|p| p.1))
        .fold(max, f64::min);
    let (lo, hi) = (
        10f64.powf(min.max(1.0).log10().floor()),
        10f64.powf(max.log10().ceil()),
    );
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |i: usize| LEFT + pw * i as f64 / (SIZES.len() - 1) as f64;
    let y = |v: f64| TOP + ph * (1.0 - (v.log10() - lo.log10()) / (hi.log10() - lo.log10()));
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" font-size="15" text-anchor="middle">{}</text>"#,
        LEFT + pw / 2.0,
        esc(title)
    );
    let mut d = lo;
    while d <= hi * 1.0001 {
        let yy = y(d);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd"/>"##,
            LEFT + pw
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            yy + 4.0,
            crate::report::fmt_value(d)
        );
        d *= 10.0;
    }
    for (i, size) in SIZES.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{} KiB</text>"#,
            x(i),
            TOP + ph + 20.0,
            size / 1024
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">message size</text>"#,
        LEFT + pw / 2.0,
        H - 15.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">messages per second (log)</text>"#,
        TOP + ph / 2.0
    );
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>"##
    );
    for (k, (name, pts)) in all.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let dash = if k >= COLORS.len() {
            r#" stroke-dasharray="6 3""#
        } else {
            ""
        };
        let path: Vec<String> = pts
            .iter()
            .filter_map(|(size, v)| {
                SIZES
                    .iter()
                    .position(|s| s == size)
                    .map(|i| format!("{:.1},{:.1}", x(i), y(*v)))
            })
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"{dash}/>"#,
            path.join(" ")
        );
        for p in &path {
            let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(s, r#"<circle cx="{px}" cy="{py}" r="3" fill="{color}"/>"#);
        }
        let ly = TOP + 10.0 + 18.0 * k as f64;
        let lx = LEFT + pw + 15.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/>"#,
            lx + 20.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}">{}</text>"#,
            lx + 26.0,
            ly + 4.0,
            esc(name)
        );
    }
    s.push_str("</svg>\n");
    s
}
