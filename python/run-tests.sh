#!/usr/bin/env bash
# Builds libsmtp_ffi, makes a virtualenv under the Cargo target directory (seeing
# Debian's site packages, for aiosmtpd and cryptography), installs what is missing
# there (pytest; aiosmtpd if Debian's python3-aiosmtpd is absent) and runs pytest on
# python/tests. Extra arguments go to pytest. A missing tool is an error, never a
# skip. Honours CARGO_TARGET_DIR, and SMTP_ENGINE_PYTHON for the interpreter
# (default /usr/bin/python3, else python3).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo="${CARGO:-cargo}"
python="${SMTP_ENGINE_PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; else python=python3; fi
fi
if ! command -v "$python" >/dev/null 2>&1; then
    echo "run-tests.sh: no Python interpreter ($python)" >&2
    exit 2
fi

venv="$target/py-venv"
if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -m venv --system-site-packages "$venv"; then
        rm -rf "$venv"
        echo "run-tests.sh: '$python -m venv' failed (Debian: apt-get install python3-venv)" >&2
        exit 2
    fi
fi
py="$venv/bin/python"
"$py" -c "import pytest" 2>/dev/null || "$py" -m pip install --quiet pytest
"$py" -c "import aiosmtpd" 2>/dev/null || "$py" -m pip install --quiet aiosmtpd

"$cargo" build --quiet -p smtp-ffi --manifest-path "$root/Cargo.toml"
export SMTP_ENGINE_LIB="$target/debug/libsmtp_ffi.so"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
cd "$here"
exec "$py" -m pytest -q -p no:cacheprovider tests "$@"
