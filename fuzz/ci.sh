#!/usr/bin/env bash
# CI's fuzzing: fuzz/ci.sh [SECONDS]. Builds every target once (-O -a, no sanitizer;
# see run.sh for why) and runs each for SECONDS (default 20) with one job, starting
# from its committed corpus; new inputs go to a scratch directory, not the corpus.
# Fails on the first crash, leak of an invariant or timeout, leaving the input in
# fuzz/artifacts/TARGET/. Needs a nightly toolchain; installs cargo-fuzz if missing.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
flags=(-O -a --sanitizer none)
start=$(date +%s)
cargo +nightly fuzz build "${flags[@]}"
built=$(date +%s)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=0
for target in $(cargo +nightly fuzz list); do
    mkdir -p "$scratch/$target"
    log="$scratch/$target.log"
    dict=()
    if [ -f "$target.dict" ]; then
        dict=(-dict="$target.dict")
    fi
    if nice -n "${FUZZ_NICE:-10}" cargo +nightly fuzz run "${flags[@]}" "$target" \
        "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10 -print_final_stats=1 \
        "${dict[@]}" >"$log" 2>&1; then
        passed=$((passed + 1))
        result=ok
    else
        failed=$((failed + 1))
        result=FAILED
        tail -n 60 "$log"
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
    printf 'fuzz %-16s %s: %s runs, %s exec/s, %s\n' "$target" "$result" "${runs:-?}" "${rate:-?}" "${cov:-?}"
done
end=$(date +%s)
echo "fuzz: build $((built - start)) s, runs $((end - built)) s (${seconds} s per target)"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
