#!/usr/bin/env bash
# Builds libsmtp_ffi, compiles tests/c/session.c against it with the machine's cc,
# runs it, then runs it again under valgrind (leaks and memory errors fail).
# Needs cc and valgrind (Debian: apt-get install gcc valgrind); a missing tool is
# an error, never a skip. Honours CARGO_TARGET_DIR.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
crate="$(dirname "$here")"
root="$(dirname "$crate")"
target="${CARGO_TARGET_DIR:-$root/target}"

cargo="${CARGO:-cargo}"
for tool in cc valgrind "$cargo"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "run-c-test.sh: '$tool' is missing (Debian: apt-get install gcc valgrind)" >&2
        exit 2
    fi
done

"$cargo" build --quiet -p smtp-ffi --manifest-path "$root/Cargo.toml"
lib="$target/debug"
out="$target/c-test"
mkdir -p "$out"
cc -std=c11 -Wall -Wextra -Werror -g -O0 \
    -I "$crate/include" "$here/c/session.c" \
    -L "$lib" -lsmtp_ffi -Wl,-rpath,"$lib" \
    -o "$out/session"

"$out/session"
valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
    "$out/session"
echo "run-c-test.sh: session.c passed, plain and under valgrind"
