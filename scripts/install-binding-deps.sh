#!/usr/bin/env bash
# Installs from Debian what the bindings' tests need (smtp-ffi/tests/run-c-test.sh
# and python/run-tests.sh, both run by `cargo test -p smtp-ffi`): a C compiler,
# valgrind, Python 3 with venv, aiosmtpd, cryptography and pytest. Installs only
# what is missing; needs root for that. scripts/test runs it before cargo test.
set -euo pipefail
packages=(gcc libc6-dev valgrind python3 python3-venv python3-aiosmtpd python3-cryptography
    python3-pytest)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    echo "install-binding-deps.sh: missing ${missing[*]}; install them (Debian packages)" >&2
    exit 1
fi
echo "install-binding-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "install-binding-deps.sh: apt-get failed" >&2
    exit 1
fi
rm -f "$log"
