//! Timed loops: best of several samples, so a noisy neighbour on a shared machine
//! only ever makes a sample slower, never the reported figure faster.

use std::time::{Duration, Instant};

/// How hard to try: the number of samples and a time budget per sample.
#[derive(Clone, Copy, Debug)]
pub struct Effort {
    /// Samples per micro benchmark; the fastest is reported.
    pub samples: usize,
    /// Wall time one sample aims for.
    pub sample_time: Duration,
    /// Rounds of each loopback run; the best is reported.
    pub rounds: usize,
    /// Scales message counts of loopback runs.
    pub scale: f64,
    /// Wall time a loopback run aims for (the message count is sized to it).
    pub run_time: Duration,
}

impl Effort {
    /// Quick (`--quick`) or full.
    pub fn new(quick: bool) -> Effort {
        if quick {
            Effort {
                samples: 5,
                sample_time: Duration::from_millis(10),
                rounds: 1,
                scale: 0.25,
                run_time: Duration::from_millis(200),
            }
        } else {
            Effort {
                samples: 15,
                sample_time: Duration::from_millis(40),
                rounds: 3,
                scale: 1.0,
                run_time: Duration::from_millis(800),
            }
        }
    }

    /// `n` scaled, at least `min`.
    pub fn count(&self, n: usize, min: usize) -> usize {
        ((n as f64 * self.scale) as usize).max(min)
    }
}

/// Nanoseconds per call of `op`: the fastest of `effort.samples` samples, each a
/// loop sized to about `effort.sample_time` after a calibration run.
pub fn best_ns(effort: &Effort, mut op: impl FnMut()) -> f64 {
    let iters = calibrate(effort.sample_time, &mut op);
    (0..effort.samples)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                op();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// How many calls fill `target`, doubling from one (also the warm-up).
fn calibrate(target: Duration, op: &mut impl FnMut()) -> u64 {
    let mut iters = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..iters {
            op();
        }
        let e = t.elapsed();
        if e >= target / 4 || iters >= 1 << 30 {
            let per = e.as_nanos().max(1) as f64 / iters as f64;
            return ((target.as_nanos() as f64 / per) as u64).max(1);
        }
        iters *= 2;
    }
}
