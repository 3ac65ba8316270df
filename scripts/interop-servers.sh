#!/usr/bin/env bash
# Installs (if needed) and starts the real servers the interop tests talk to, all on
# 127.0.0.1: aiosmtpd (port 2525, stores messages), Postfix smtp-sink (2526, SMTP) and
# smtp-sink -L (2527, LMTP). Prints the environment the tests read. Idempotent.
set -euo pipefail
dir=${INTEROP_DIR:-/tmp/smtp-engine-interop}
mkdir -p "$dir"

if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  pip install --quiet aiosmtpd
fi
if ! command -v smtp-sink >/dev/null && [ ! -x /usr/sbin/smtp-sink ]; then
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # Keep package scripts from starting a system-wide Postfix.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq && apt-get install -y -qq postfix >/dev/null
fi
sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)

start() { # name port command...
  local name=$1 port=$2; shift 2
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    nohup "$@" >"$dir/$name.log" 2>&1 &
    echo $! >"$dir/$name.pid"
  fi
}
start aiosmtpd 2525 python3 "$(dirname "$0")/aiosmtpd_store.py" 2525 "$dir/aiosmtpd"
start smtp-sink 2526 "$sink" -u nobody 127.0.0.1:2526 100
start lmtp-sink 2527 "$sink" -u nobody -L 127.0.0.1:2527 100

for port in 2525 2526 2527; do
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
  done
done
echo "INTEROP_DIR=$dir"
