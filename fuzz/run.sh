#!/usr/bin/env bash
# A fuzzing campaign: fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
#
# Builds TARGET optimised (-O) with debug assertions and overflow checks (-a) and runs
# it for SECONDS with one libFuzzer job. New inputs go to a work corpus outside the
# committed one (FUZZ_WORK, default fuzz/target/work/TARGET), seeded from
# corpus/TARGET; crashes land in fuzz/artifacts/TARGET/. Minimise before committing:
#   cargo +nightly fuzz cmin -O -a --sanitizer none TARGET target/work/TARGET
# and copy the result into corpus/TARGET (keep it at most ~200 files / 2 MB).
#
# Sanitizer: none by default. Every crate the targets drive (smtp-proto, smtp-delivery,
# both drivers, smtp-tests) is `#![forbid(unsafe_code)]`, so AddressSanitizer could
# only find bugs in the standard library and dependencies, at 2-3x the cost per run;
# what the targets look for — panics, overflow (the -a build), broken invariants,
# endless loops (-timeout), unbounded memory — needs no sanitizer.
#
# Memory: the engine's buffers are bounded by design (SECURITY.md), so campaigns run
# with a tight -rss_limit_mb=512 (targets peak near 40 MB) to catch growth early.
# SANITIZER=address turns ASan on; its default 256 MB quarantine of freed memory plus
# its shadow memory would then trip that limit with false OOMs, so ASAN_OPTIONS is set
# to quarantine_size_mb=16 (override by setting ASAN_OPTIONS yourself).
set -euo pipefail
cd "$(dirname "$0")"
if [ $# -lt 2 ]; then
    echo "usage: fuzz/run.sh TARGET SECONDS [libFuzzer flags...]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
sanitizer=${SANITIZER:-none}
if [ "$sanitizer" = address ]; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16}"
fi
work=${FUZZ_WORK:-target/work}/$target
mkdir -p "$work" "corpus/$target"
# A target may bring a dictionary of its grammar's tokens (transcript.dict: JSON).
dict=()
if [ -f "$target.dict" ]; then
    dict=(-dict="$target.dict")
fi
# One job, niced: campaigns share the machine with builds and tests.
exec nice -n "${FUZZ_NICE:-15}" cargo +nightly fuzz run -O -a --sanitizer "$sanitizer" \
    "$target" "$work" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10 -print_final_stats=1 "${dict[@]}" "$@"
