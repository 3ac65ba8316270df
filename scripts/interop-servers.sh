#!/usr/bin/env bash
# The real servers the interop tests talk to, all on 127.0.0.1, each with a throwaway
# configuration under $INTEROP_DIR (default /tmp/smtp-engine-interop). See
# tests/INTEROP.md for what each one offers.
#
#   scripts/interop-servers.sh start   installs what is missing, stops whatever a
#                                      previous start left running, starts every
#                                      server, waits for every port and prints the
#                                      environment the tests read (KEY=value lines)
#   scripts/interop-servers.sh stop    stops every process start started, by the pid
#                                      files it wrote, and waits for them to exit
#
# Servers (all required; start fails with the server's log if one does not come up):
#   2525 aiosmtpd (scripts/aiosmtpd_store.py)   2526 Postfix smtp-sink
#   2527 Postfix smtp-sink -L (LMTP)            2530/2531 Postfix smtpd STARTTLS/TLS
#   2532 Dovecot LMTP                           2533/2534 Exim plain/TLS
# Progress and errors go to stderr; stdout carries only the KEY=value lines.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${INTEROP_DIR:-/tmp/smtp-engine-interop}
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac

AIOSMTPD_PORT=2525
SINK_PORT=2526
LMTP_SINK_PORT=2527
POSTFIX_PORT=2530
POSTFIX_TLS_PORT=2531
DOVECOT_LMTP_PORT=2532
EXIM_PORT=2533
EXIM_TLS_PORT=2534
ALL_PORTS="$AIOSMTPD_PORT $SINK_PORT $LMTP_SINK_PORT $POSTFIX_PORT $POSTFIX_TLS_PORT \
$DOVECOT_LMTP_PORT $EXIM_PORT $EXIM_TLS_PORT"

# Every pid file start writes: name, file, and a word the process's command line must
# contain (so a stale file whose pid was reused by something else is never acted on).
PIDFILES="aiosmtpd:$dir/aiosmtpd.pid:aiosmtpd_store
smtp-sink:$dir/smtp-sink.pid:smtp-sink
lmtp-sink:$dir/lmtp-sink.pid:smtp-sink
postfix:$dir/postfix/queue/pid/master.pid:master
dovecot:$dir/dovecot/run/master.pid:dovecot
exim:$dir/exim/exim.pid:exim"

log() { echo "interop-servers: $*" >&2; }
starting=
die() {
  log "$*"
  # A start that fails stops whatever it had started.
  [ -z "$starting" ] || stop_all
  exit 1
}

# ---------------------------------------------------------------- stopping

# The pid recorded in FILE if that process is alive and its command line has WORD.
live_pid() { # file word
  local pid
  [ -f "$1" ] || return 1
  pid=$(tr -dc 0-9 <"$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 1
  echo "$pid"
}

# Processes in session SID (every server here is started as a session leader, so its
# session is the server and every child it forked). With "z", zombies only: processes
# already gone, but not yet reaped (here by init, a second or two later).
session_pids() { # sid [z]
  ps -e -o pid=,sid=,stat= |
    awk -v s="$1" -v z="${2:-}" '$2 == s && (z == "" ? $3 !~ /^Z/ : $3 ~ /^Z/) { print $1 }'
}

# Stops every server with a live pid file: TERM to each (Postfix master, the Dovecot
# master and the Exim daemon take their children with them), then waits until no
# process of their sessions is left, zombies included; KILL after 10 s.
stop_all() {
  local name file word pid sid sids="" names="" left="" z
  while IFS=: read -r name file word; do
    if pid=$(live_pid "$file" "$word"); then
      sid=$(ps -o sid= -p "$pid" | tr -d ' ')
      if [ "$sid" = "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        sids="$sids $sid"
        names="$names $name($pid)"
      else
        log "$name: pid $pid is not a session leader; leaving it alone"
      fi
    fi
    rm -f "$file"
  done <<<"$PIDFILES"
  [ -n "$sids" ] || return 0
  for _ in $(seq 100); do # 10 s
    left=$(for sid in $sids; do session_pids "$sid"; done)
    [ -n "$left" ] || break
    sleep 0.1
  done
  if [ -n "$left" ]; then
    log "still running after 10 s, killing: ${left//$'\n'/ }"
    # shellcheck disable=SC2086 # one pid a word
    kill -KILL $left 2>/dev/null || true
  fi
  for _ in $(seq 50); do # 5 s for the zombies to be reaped
    z=$(for sid in $sids; do session_pids "$sid"; session_pids "$sid" z; done)
    [ -n "$z" ] || break
    sleep 0.1
  done
  [ -z "$z" ] || log "not yet reaped: ${z//$'\n'/ }"
  log "stopped$names"
}

# ---------------------------------------------------------------- installing

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
      echo "$p"
  done
}

apt_updated=
apt_update() {
  [ -n "$apt_updated" ] || apt-get update -qq >&2
  apt_updated=1
}

install_packages() {
  local missing created_policy=
  missing=$(missing_packages "$@")
  [ -n "$missing" ] || return 0
  log "installing: ${missing//$'\n'/ }"
  export DEBIAN_FRONTEND=noninteractive
  # "No configuration": the package installs no system-wide main.cf of its own.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # Keep package scripts from starting system-wide daemons; remove the guard again
  # only if it was not there before.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  apt_update
  # shellcheck disable=SC2086
  if ! apt-get install -y -qq --no-install-recommends $missing >"$dir/apt.log" 2>&1; then
    [ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d
    cat "$dir/apt.log" >&2
    die "apt-get install failed"
  fi
  [ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d
}

# Debian's exim4 conflicts with postfix (both are mail-transport-agent), so its daemon
# is downloaded and unpacked under the run directory instead of installed.
EXIM_PKG=$dir/exim-pkg
EXIM_BIN=$EXIM_PKG/root/usr/sbin/exim4
install_exim() {
  local deb
  if [ ! -x "$EXIM_BIN" ]; then
    mkdir -p "$EXIM_PKG"
    rm -f "$EXIM_PKG"/*.deb
    log "downloading exim4-daemon-light"
    if ! (cd "$EXIM_PKG" && apt-get download -qq -o APT::Sandbox::User=root \
      exim4-daemon-light >&2); then
      apt_update
      (cd "$EXIM_PKG" && apt-get download -qq -o APT::Sandbox::User=root \
        exim4-daemon-light >&2) || die "apt-get download exim4-daemon-light failed"
    fi
    deb=$(ls "$EXIM_PKG"/exim4-daemon-light_*.deb)
    rm -rf "$EXIM_PKG/root"
    dpkg -x "$deb" "$EXIM_PKG/root"
  fi
  # The unpacked binary's shared libraries (its Depends without exim4-base/debconf).
  install_packages libc6 libcrypt1 libdb5.3 libgnutls-dane0 libgnutls30 libidn12 \
    libidn2-0 libnsl2 libpcre2-8-0
  if ldd "$EXIM_BIN" | grep -q 'not found'; then
    ldd "$EXIM_BIN" >&2
    die "exim: shared libraries missing"
  fi
  # The user Debian's exim4 is built to run as (EXIM_USER=ref:Debian-exim).
  if ! getent passwd Debian-exim >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin Debian-exim
  fi
}

# The interpreter that runs aiosmtpd_store.py: the first of python3 on PATH (which may
# be a pyenv one) and Debian's /usr/bin/python3 that has aiosmtpd; none if neither has.
find_python() {
  local py
  for py in "$(command -v python3 || true)" /usr/bin/python3; do
    if [ -n "$py" ] && "$py" -c 'import aiosmtpd' 2>/dev/null; then
      echo "$py"
      return
    fi
  done
}

# ---------------------------------------------------------------- helpers

# Whether something listens on TCP port $1, asked of the kernel rather than by
# connecting (a probe connection would show up in every server's log as an aborted
# session or a failed TLS handshake).
port_listening() { [ -n "$(ss -Hltn "sport = :$1")" ]; }

# Starts a foreground server as its own session leader; its pid goes to PIDFILE.
spawn() { # pidfile logfile command...
  local pidfile=$1 logfile=$2
  shift 2
  # shellcheck disable=SC2016 # $$ and $@ are the inner shell's
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >"$logfile" 2>&1 &
}

# Waits up to 20 s for port PORT; with PIDFILE, gives up as soon as the process it
# names has exited.
wait_port() { # name port logfile [pidfile word]
  local why="within 20 s"
  for _ in $(seq 200); do # 20 s
    port_listening "$2" && return 0
    if [ -n "${4:-}" ] && [ -s "$4" ] && ! live_pid "$4" "$5" >/dev/null; then
      why="(it exited)"
      break
    fi
    sleep 0.1
  done
  log "$1 did not come up on port $2 $why; its log ($3):"
  tail -n 50 "$3" >&2 || true
  die "$1 failed"
}

# A small CA and a leaf for localhost/127.0.0.1 signed by it (rustls refuses a
# self-signed CA:TRUE certificate as the server's own).
make_certs() {
  local t=$dir/tls
  mkdir -p "$t"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$t/ca.key" -out "$t/ca.pem" -days 30 -subj "/CN=smtp-engine interop CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$t/key.pem" -out "$t/leaf.csr" -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
    'subjectAltName=DNS:localhost,IP:127.0.0.1' >"$t/leaf.ext"
  openssl x509 -req -in "$t/leaf.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
    -CAcreateserial -days 30 -extfile "$t/leaf.ext" -out "$t/cert.pem" 2>/dev/null
  cat "$t/cert.pem" "$t/ca.pem" >"$t/chain.pem"
  # Exim reads the key per connection as Debian-exim; the others read it as root.
  chgrp Debian-exim "$t/key.pem"
  chmod 0640 "$t/key.pem"
  chmod 0644 "$t/ca.pem" "$t/cert.pem" "$t/chain.pem"
}

# ---------------------------------------------------------------- servers

start_sinks() {
  mkdir -p "$dir/aiosmtpd"
  spawn "$dir/aiosmtpd.pid" "$dir/aiosmtpd.log" \
    "$PYTHON" "$here/aiosmtpd_store.py" "$AIOSMTPD_PORT" "$dir/aiosmtpd"
  spawn "$dir/smtp-sink.pid" "$dir/smtp-sink.log" \
    "$SINK" -u nobody "127.0.0.1:$SINK_PORT" 100
  spawn "$dir/lmtp-sink.pid" "$dir/lmtp-sink.log" \
    "$SINK" -u nobody -L "127.0.0.1:$LMTP_SINK_PORT" 100
}

start_dovecot() {
  local d=$dir/dovecot
  mkdir -p "$d/run" "$d/state" "$d/mail"
  # user:password:uid:gid:gecos:home:shell:extra userdb fields
  cat >"$d/passwd" <<EOF
u@example.org:{PLAIN}p::::::
ok@example.org:{PLAIN}p::::::
full@example.org:{PLAIN}p::::::userdb_quota_rule=*:storage=1B
broken@example.org:{PLAIN}p::::::
EOF
  chgrp dovecot "$d/passwd"
  chmod 0640 "$d/passwd"
  # broken@: its Maildir exists but nobody may write it, so delivery fails in DATA.
  mkdir -p "$d/mail/broken@example.org"
  chmod 0555 "$d/mail/broken@example.org"
  chown nobody:nogroup "$d/mail"
  cat >"$d/dovecot.conf" <<EOF
# Private Dovecot for the interop tests: LMTP on 127.0.0.1:$DOVECOT_LMTP_PORT and the
# SASL socket Postfix's smtpd authenticates against. Generated by interop-servers.sh.
instance_name = smtp-engine-interop
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/tls/chain.pem
ssl_key = <$dir/tls/key.pem
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_uid = nobody
mail_gid = nogroup
mail_location = maildir:$d/mail/%u
mail_home = $d/mail/%u
mail_plugins = quota
hostname = dovecot.interop.test
# Store CRLF line endings like the other stores; the only header added is Dovecot's
# Return-Path: (no Received:, no Delivered-To:).
mail_save_crlf = yes
lmtp_add_received_header = no
lmtp_hdr_delivery_address = none
auth_mechanisms = plain login
disable_plaintext_auth = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $d/passwd
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $DOVECOT_LMTP_PORT
  }
  unix_listener lmtp {
    mode = 0
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
plugin {
  quota = maildir:User quota
  quota_rule = *:storage=100M
}
EOF
  dovecot -c "$d/dovecot.conf" 2>"$d/dovecot.start.log" || {
    cat "$d/dovecot.start.log" >&2
    die "dovecot did not start"
  }
}

start_postfix() {
  local p=$dir/postfix
  mkdir -p "$p/etc" "$p/queue" "$p/data" "$p/mail" "$p/bin"
  chown nobody:nogroup "$p/mail"
  chown postfix "$p/data"
  install -m 0755 "$here/interop_store.sh" "$p/bin/store"
  cat >"$p/etc/main.cf" <<EOF
# Private Postfix for the interop tests. Generated by interop-servers.sh.
compatibility_level = 3.6
queue_directory = $p/queue
data_directory = $p/data
maillog_file = $p/postfix.log
maillog_file_prefixes = $p
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.interop.test
mydomain = interop.test
myorigin = \$myhostname
mydestination =
relay_domains =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_banner = \$myhostname ESMTP Postfix
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
# nobody@ any domain is refused at RCPT, as by aiosmtpd and Exim.
smtpd_recipient_restrictions = check_recipient_access regexp:$p/etc/recipient_access
# Every message, whatever the domain, goes to the filestore pipe, one recipient a time.
default_transport = filestore
relay_transport = filestore
local_transport = filestore
filestore_destination_recipient_limit = 1
# Leave the message as the client sent it: no headers added or rewritten, and the
# Received: line this smtpd adds is dropped again by cleanup.
local_header_rewrite_clients =
always_add_missing_headers = no
header_checks = regexp:$p/etc/header_checks
message_size_limit = 10485760
smtputf8_enable = yes
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/tls/chain.pem
smtpd_tls_key_file = $dir/tls/key.pem
smtpd_tls_auth_only = yes
smtpd_tls_received_header = no
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $dir/dovecot/run/auth-postfix
smtpd_sasl_authenticated_header = no
EOF
  echo '/^nobody@/ 550 5.1.1 no such user' >"$p/etc/recipient_access"
  echo '/^Received: from .*[[:space:]]by postfix\.interop\.test \(Postfix\)/ IGNORE' \
    >"$p/etc/header_checks"
  cat >"$p/etc/master.cf" <<EOF
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd
127.0.0.1:$POSTFIX_TLS_PORT inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
filestore unix  -       n       n       -       -       pipe
  user=nobody argv=$p/bin/store $p/mail \${queue_id} \${recipient}
EOF
  # postfix(1) reports a fatal error only to syslog unless stderr is a terminal, so
  # give it one.
  script -qec "postfix -c $(printf %q "$p/etc") start" "$p/postfix.start.log" >/dev/null || {
    cat "$p/postfix.start.log" >&2
    die "postfix did not start"
  }
}

start_exim() {
  local e=$dir/exim
  mkdir -p "$e/spool" "$e/log" "$e/mail" "$e/bin"
  chown Debian-exim:Debian-exim "$e/spool" "$e/log" "$e/mail"
  install -m 0755 "$here/interop_store.sh" "$e/bin/store"
  cat >"$e/exim.conf" <<EOF
# Private Exim for the interop tests. Generated by interop-servers.sh.
primary_hostname = exim.interop.test
# Exim re-executes itself to deliver and to run the queue: this binary, not the
# /usr/sbin/exim4 it was built for.
exim_path = $EXIM_BIN
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
spool_directory = $e/spool
log_file_path = $e/log/%slog
pid_file_path = $e/exim.pid
local_interfaces = <; 127.0.0.1.$EXIM_PORT ; 127.0.0.1.$EXIM_TLS_PORT
tls_on_connect_ports = $EXIM_TLS_PORT
tls_certificate = $dir/tls/chain.pem
tls_privatekey = $dir/tls/key.pem
tls_advertise_hosts = *
chunking_advertise_hosts = *
smtputf8_advertise_hosts = *
pipelining_advertise_hosts = *
dsn_advertise_hosts = *
accept_8bitmime = true
message_size_limit = 10M
host_lookup =
rfc1413_hosts =
keep_environment =
# No Received: header: the stored file is the message as the client sent it.
received_header_text =
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data

begin acl
acl_rcpt:
  deny    local_parts = nobody
          message = no such user
  accept  hosts = 127.0.0.1
  deny
acl_data:
  accept

begin routers
store:
  driver = accept
  caseful_local_part = true
  transport = store

begin transports
# A pipe rather than appendfile: Exim 4.94+ refuses the (tainted) recipient in an
# appendfile path, and the pipe's environment carries it untainted to the script.
store:
  driver = pipe
  command = $e/bin/store $e/mail
  user = Debian-exim
  group = Debian-exim
  message_prefix =
  message_suffix =
  return_fail_output = true
  temp_errors = 75

begin retry
*  *  F,1h,1m
EOF
  "$EXIM_BIN" -C "$e/exim.conf" -bd -q1m >"$e/exim.start.log" 2>&1 || {
    cat "$e/exim.start.log" "$e/log/paniclog" >&2 2>/dev/null || true
    die "exim did not start"
  }
}

# ---------------------------------------------------------------- main

start_all() {
  local port
  mkdir -p "$dir"
  stop_all
  starting=1
  # postfix: smtp-sink and the smtpd instance; dovecot-core: the Dovecot master, its
  # auth service (Postfix SASL) and quota plugin; dovecot-lmtpd: the LMTP server;
  # openssl: the certificates; iproute2: ss, to see which ports listen; procps: ps,
  # for stop; and python3-aiosmtpd (aiosmtpd for Debian's python3) unless a python3
  # has aiosmtpd.
  local packages="postfix dovecot-core dovecot-lmtpd openssl iproute2 procps"
  PYTHON=$(find_python)
  [ -n "$PYTHON" ] || packages="$packages python3-aiosmtpd"
  # shellcheck disable=SC2086
  install_packages $packages
  if [ -z "$PYTHON" ]; then
    PYTHON=$(find_python)
    [ -n "$PYTHON" ] || die "python3-aiosmtpd is installed but no python3 imports aiosmtpd"
  fi
  SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
  install_exim
  for port in $ALL_PORTS; do
    port_listening "$port" && die "port $port is already in use by another process:
$(ss -ltnp "sport = :$port" 2>/dev/null)"
  done
  # Fresh state every run: configurations, queues, stores, logs, certificates.
  rm -rf "${dir:?}/aiosmtpd" "$dir/tls" "$dir/postfix" "$dir/dovecot" "$dir/exim" "${dir:?}/bin"
  rm -f "$dir"/*.log
  make_certs
  # interop_tls.rs runs "python3": this one, with aiosmtpd, goes first on PATH.
  mkdir -p "$dir/bin"
  ln -s "$PYTHON" "$dir/bin/python3"

  start_sinks
  start_dovecot
  start_postfix
  start_exim
  wait_port aiosmtpd $AIOSMTPD_PORT "$dir/aiosmtpd.log" "$dir/aiosmtpd.pid" aiosmtpd_store
  wait_port smtp-sink $SINK_PORT "$dir/smtp-sink.log" "$dir/smtp-sink.pid" smtp-sink
  wait_port lmtp-sink $LMTP_SINK_PORT "$dir/lmtp-sink.log" "$dir/lmtp-sink.pid" smtp-sink
  wait_port dovecot $DOVECOT_LMTP_PORT "$dir/dovecot/dovecot.log" \
    "$dir/dovecot/run/master.pid" dovecot
  wait_port postfix $POSTFIX_PORT "$dir/postfix/postfix.log" \
    "$dir/postfix/queue/pid/master.pid" master
  wait_port postfix $POSTFIX_TLS_PORT "$dir/postfix/postfix.log" \
    "$dir/postfix/queue/pid/master.pid" master
  wait_port exim $EXIM_PORT "$dir/exim/log/mainlog" "$dir/exim/exim.pid" exim
  wait_port exim $EXIM_TLS_PORT "$dir/exim/log/mainlog" "$dir/exim/exim.pid" exim
  [ -S "$dir/dovecot/run/auth-postfix" ] || die "dovecot: no auth socket for postfix"
  log "all servers up"

  cat <<EOF
INTEROP_DIR=$dir
INTEROP_BIN=$dir/bin
INTEROP_PYTHON=$PYTHON
INTEROP_CA=$dir/tls/ca.pem
INTEROP_AIOSMTPD_PORT=$AIOSMTPD_PORT
INTEROP_AIOSMTPD_STORE=$dir/aiosmtpd
INTEROP_SINK_PORT=$SINK_PORT
INTEROP_LMTP_SINK_PORT=$LMTP_SINK_PORT
INTEROP_POSTFIX_PORT=$POSTFIX_PORT
INTEROP_POSTFIX_TLS_PORT=$POSTFIX_TLS_PORT
INTEROP_POSTFIX_STORE=$dir/postfix/mail
INTEROP_POSTFIX_USER=u@example.org
INTEROP_POSTFIX_PASSWORD=p
INTEROP_DOVECOT_LMTP_PORT=$DOVECOT_LMTP_PORT
INTEROP_DOVECOT_STORE=$dir/dovecot/mail
INTEROP_DOVECOT_USER=ok@example.org
INTEROP_DOVECOT_FULL_USER=full@example.org
INTEROP_DOVECOT_BROKEN_USER=broken@example.org
INTEROP_EXIM_PORT=$EXIM_PORT
INTEROP_EXIM_TLS_PORT=$EXIM_TLS_PORT
INTEROP_EXIM_STORE=$dir/exim/mail
EOF
}

case ${1:-start} in
start) start_all ;;
stop) stop_all ;;
*) die "usage: $0 start|stop" ;;
esac
