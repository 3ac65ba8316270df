#!/bin/sh
# Delivery helper for the interop Postfix (pipe(8) transport) and Exim (pipe
# transport): stores the message on stdin for one recipient as a Maildir file
#   DIR/RECIPIENT/new/NAME
# with every line ending turned back into CRLF, so the file holds the bytes the client
# sent after dot-unstuffing (both MTAs hand messages over with LF line endings).
#
# Usage: interop_store.sh DIR NAME RECIPIENT   (Postfix: ${queue_id} ${recipient})
#        interop_store.sh DIR                  (Exim: $MESSAGE_ID, $LOCAL_PART@$DOMAIN
#                                               from the pipe transport's environment)
# A "/" in the recipient becomes "_", and a leading "." gets a "_" in front.
# Exit 75 (EX_TEMPFAIL) on any failure, so the MTA defers instead of bouncing.
umask 022
dir=$1
name=${2:-${MESSAGE_ID:-}}
rcpt=${3:-${LOCAL_PART:-}@${DOMAIN:-}}
[ -n "$dir" ] && [ -n "$name" ] && [ "$rcpt" != @ ] || exit 75
rcpt=$(printf '%s' "$rcpt" | tr / _)
case $rcpt in .*) rcpt=_$rcpt ;; esac
box=$dir/$rcpt
mkdir -p "$box/tmp" "$box/new" || exit 75
file=$name
n=0
while [ -e "$box/new/$file" ]; do
  n=$((n + 1))
  file=$name.$n
done
LC_ALL=C sed -e 's/$/\r/' >"$box/tmp/$file" || exit 75
mv "$box/tmp/$file" "$box/new/$file" || exit 75
