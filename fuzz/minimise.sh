#!/usr/bin/env bash
# Minimises a target's corpus: fuzz/minimise.sh TARGET [MAX_FILES] [MAX_BYTES]
#
# Reads corpus/TARGET and the campaign's new inputs (FUZZ_WORK, default target/work,
# as run.sh) and keeps a small set with the same edges (edges only: counters and value
# profiles would keep thousands of inputs, as `cargo fuzz cmin` does): libFuzzer's
# set-cover merge, when its result fits in MAX_FILES (200) and MAX_BYTES (2 MB).
# Otherwise (the transcript target, whose JSON grammar has a long tail of edges) it
# picks greedily from libFuzzer's merge control file — which credits each input, in
# size order, with the edges no smaller input covered — the input adding the most
# edges, until nothing is gained or a bound would be passed; the edge count it prints
# is then a lower bound. The result replaces corpus/TARGET; inputs with a name of
# their own (regression-* and the like, not a hash, seed-N or case-N) are always kept.
set -euo pipefail
cd "$(dirname "$0")"
target=$1
max_files=${2:-200}
max_bytes=${3:-2000000}
work=${FUZZ_WORK:-target/work}/$target
cargo +nightly fuzz build -O -a --sanitizer none "$target"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/in" "$scratch/empty" "$scratch/out" "$scratch/keep"
for f in "corpus/$target"/*; do
    [ -e "$f" ] || continue
    b=$(basename "$f")
    if [[ "$b" =~ ^([0-9a-f]{40}|seed-[0-9]+|case-[0-9]+)$ ]]; then
        cp "$f" "$scratch/in/"
    else
        cp "$f" "$scratch/keep/"
    fi
done
if [ -d "$work" ]; then
    find "$work" -maxdepth 1 -type f -exec cp {} "$scratch/in/" \;
fi
bin="target/x86_64-unknown-linux-gnu/release/$target"
flags=(-use_counters=0 -use_value_profile=0 -rss_limit_mb=512 -timeout=10)
"$bin" -set_cover_merge=1 "${flags[@]}" "$scratch/out" "$scratch/in" >"$scratch/cover.log" 2>&1
files=$(find "$scratch/out" -type f | wc -l)
bytes=$(find "$scratch/out" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
if [ "$files" -le "$max_files" ] && [ "$bytes" -le "$max_bytes" ]; then
    echo "set cover: $files inputs, $bytes bytes, every edge"
else
    echo "set cover: $files inputs, $bytes bytes: too many, picking greedily"
    rm -rf "$scratch/out"
    mkdir -p "$scratch/out"
    "$bin" -merge=1 -merge_control_file="$scratch/control" "${flags[@]}" \
        "$scratch/empty" "$scratch/in" >"$scratch/merge.log" 2>&1
    python3 - "$scratch/control" "$scratch/out" "$max_files" "$max_bytes" <<'PY'
import os, shutil, sys
control, out, max_files, max_bytes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lines = open(control).read().split("\n")
n = int(lines[0])
files = lines[2 : 2 + n]
cov = {}
for line in lines[2 + n :]:
    parts = line.split()
    if len(parts) >= 2 and parts[0] == "COV":
        cov[int(parts[1])] = set(map(int, parts[2:]))
size = {i: os.path.getsize(files[i]) for i in cov}
every = set().union(*cov.values()) if cov else set()
covered, chosen, total = set(), [], 0
while len(chosen) < max_files and cov:
    best = max(cov, key=lambda i: (len(cov[i] - covered), -size[i]))
    if not cov[best] - covered or total + size[best] > max_bytes:
        break
    chosen.append(best)
    covered |= cov.pop(best)
    total += size[best]
for i in chosen:
    shutil.copy(files[i], out)
print(f"greedy: {len(chosen)} inputs, {total} bytes, at least {len(covered)} of {len(every)} edges")
PY
fi
rm -rf "corpus/$target"
mkdir -p "corpus/$target"
cp "$scratch/out"/* "corpus/$target/"
cp "$scratch/keep"/* "corpus/$target/" 2>/dev/null || true
echo "corpus/$target: $(find "corpus/$target" -type f | wc -l) files"
