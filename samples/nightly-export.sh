#!/usr/bin/env bash
# nightly-export.sh: export the contract contacts changed since the last
# successful run to a dated CSV, for auditors. Ready for cron:
#
#   # m h dom mon dow  command
#   30 2 * * *  NEXUDUS_TOKEN_FILE=$HOME/.config/contactbulk/token EXPORT_DIR=/srv/audit/contacts /opt/contactbulk/nightly-export.sh
#
# Environment:
#   NEXUDUS_TOKEN_FILE  file holding the bearer token alone, mode 0600 or 0400 (required)
#   NEXUDUS_URL         the API (default: contactbulk's, https://spaces.nexudus.com)
#   EXPORT_DIR          where the dated files and the log go (default $HOME/contact-exports)
#   STATE_FILE          the --since-last state (default $EXPORT_DIR/.export-state.json)
#   OVERLAP             how far before the last run's start to look again (default
#                       contactbulk's 12h10m: Nexudus may write the space's local
#                       time with a Z, and a space behind UTC stamps updates
#                       earlier than they happened; 10m is enough for a space
#                       that writes true UTC or is ahead of UTC)
#   EXTRA_FLAGS         more export flags, e.g. "--full --bom"
#   CONTACTBULK         the binary (default: contactbulk on PATH)
#
# The first run exports everything; later runs export what was updated since
# the last successful one (files overlap by OVERLAP, never miss a record).
# A failed run leaves the previous files and the state as they were, so the
# next run covers the gap. Exit codes are contactbulk's: 0 done; 1 failed or
# could not be made consistent (run again); 2 configuration or credentials;
# 130 interrupted.
set -euo pipefail
umask 077

CONTACTBULK=${CONTACTBULK:-contactbulk}
EXPORT_DIR=${EXPORT_DIR:-$HOME/contact-exports}
STATE_FILE=${STATE_FILE:-$EXPORT_DIR/.export-state.json}
LOG=$EXPORT_DIR/nightly-export.log

log() {
	local line
	line="$(date -u +%Y-%m-%dT%H:%M:%SZ) nightly-export: $*"
	echo "$line"
	echo "$line" >>"$LOG" 2>/dev/null || true
}

mkdir -p "$EXPORT_DIR"

if [[ -z ${NEXUDUS_TOKEN_FILE:-} ]]; then
	log "config error: set NEXUDUS_TOKEN_FILE to a 0600 file holding the API token"
	exit 2
fi
if [[ ! -r $NEXUDUS_TOKEN_FILE ]]; then
	log "config error: cannot read NEXUDUS_TOKEN_FILE $NEXUDUS_TOKEN_FILE"
	exit 2
fi
mode=$(stat -c %a "$NEXUDUS_TOKEN_FILE" 2>/dev/null || stat -f %Lp "$NEXUDUS_TOKEN_FILE")
if [[ $mode != 600 && $mode != 400 ]]; then
	log "config error: $NEXUDUS_TOKEN_FILE is mode $mode; run: chmod 600 $NEXUDUS_TOKEN_FILE"
	exit 2
fi
export NEXUDUS_TOKEN_FILE
unset NEXUDUS_TOKEN # the file, not a stray variable, says who runs the export

# One run at a time: a slow export must not race the next night's.
if command -v flock >/dev/null; then
	exec 9>"$EXPORT_DIR/.nightly-export.lock"
	if ! flock -n 9; then
		log "another nightly export is still running; skipped"
		exit 1
	fi
fi

# One file a day; a second run the same day (by hand, after a fix) gets the
# time too, so that it never replaces a file the state has already moved past.
out=$EXPORT_DIR/contacts-$(date -u +%Y-%m-%d).csv
if [[ -e $out ]]; then
	out=$EXPORT_DIR/contacts-$(date -u +%Y-%m-%dT%H%M%SZ).csv
fi
args=(export --since-last "$STATE_FILE" --out "$out")
if [[ -n ${OVERLAP:-} ]]; then
	args+=(--overlap "$OVERLAP")
fi
if [[ -n ${EXTRA_FLAGS:-} ]]; then
	read -r -a extra <<<"$EXTRA_FLAGS"
	args+=("${extra[@]}")
fi

rc=0
# With --out, stdout carries only the summary; progress and errors go to the log.
summary=$("$CONTACTBULK" "${args[@]}" 2>>"$LOG") || rc=$?

case $rc in
0) log "ok: $summary" ;;
1) log "FAILED (exit 1): the export failed mid-way or could not be made consistent; previous files and state kept, the next run covers the gap; see $LOG" ;;
2) log "CONFIG ERROR (exit 2): fix the flags, token or URL; see $LOG" ;;
130) log "interrupted (exit 130); previous files and state kept" ;;
*) log "FAILED (exit $rc); see $LOG" ;;
esac
exit "$rc"
