#!/usr/bin/env bash
# nightly-export.sh: export the contract contacts changed since the last
# successful run to a dated file, with the Ids of the records deleted since
# then and a manifest (record count, SHA-256, filters, times, the state
# used), for auditors. Ready for cron, whose PATH is only /usr/bin:/bin:
#
#   # m h dom mon dow  command
#   30 2 * * *  CONTACTBULK=/usr/local/bin/contactbulk EXPORT_DIR=/srv/audit/contacts /opt/contactbulk/nightly-export.sh
#
# Credentials: the login saved by `contactbulk login` (run it once as the
# user cron runs the job as; its access token renews itself with the
# refresh token, so the job keeps working for months), or a token file.
#
# Environment:
#   CONTACTBULK         the binary (default: contactbulk on PATH, else
#                       ~/go/bin, ~/.local/bin, /usr/local/bin, this script's folder)
#   NEXUDUS_TOKEN_FILE  file holding a bearer token alone, mode 0600 or 0400
#                       (default: use the saved login)
#   NEXUDUS_URL         the API (default: contactbulk's, https://spaces.nexudus.com)
#   EXPORT_DIR          where the dated files and the log go (default $HOME/contact-exports)
#   STATE_FILE          the --since-last state (default $EXPORT_DIR/.export-state.json;
#                       the Id set of the last run is kept beside it, STATE_FILE.ids)
#   OVERLAP             how far before the last run's start to look again (default
#                       contactbulk's 12h10m: Nexudus may write the space's local
#                       time with a Z, and a space behind UTC stamps updates
#                       earlier than they happened; 10m is enough for a space
#                       that writes true UTC or is ahead of UTC)
#   FORMAT              csv (default) or xlsx
#   EXTRA_FLAGS         more export flags, e.g. "--full --bom"
#
# Each run writes contacts-DATE.csv (or .xlsx), contacts-DATE.deleted.csv
# (the Ids listed last time and gone now) and contacts-DATE.manifest.json.
# The first run exports everything; later runs export what was updated (or,
# with no UpdatedOn, created) since the last successful one: files overlap
# by OVERLAP, never miss a record. A failed run leaves the previous files
# and the state as they were, so the next run covers the gap. Exit codes
# are contactbulk's: 0 done; 1 failed or could not be made consistent (run
# again); 2 configuration or credentials; 130 interrupted.
set -euo pipefail
umask 077

EXPORT_DIR=${EXPORT_DIR:-$HOME/contact-exports}
STATE_FILE=${STATE_FILE:-$EXPORT_DIR/.export-state.json}
FORMAT=${FORMAT:-csv}
LOG=$EXPORT_DIR/nightly-export.log

log() {
	local line
	line="$(date -u +%Y-%m-%dT%H:%M:%SZ) nightly-export: $*"
	echo "$line"
	echo "$line" >>"$LOG" 2>/dev/null || true
}

mkdir -p "$EXPORT_DIR"

# cron's PATH is /usr/bin:/bin: look where Go and people install binaries.
if [[ -z ${CONTACTBULK:-} ]]; then
	for candidate in "$(command -v contactbulk 2>/dev/null || true)" "$HOME/go/bin/contactbulk" \
		"$HOME/.local/bin/contactbulk" /usr/local/bin/contactbulk "$(dirname "$0")/contactbulk"; do
		if [[ -n $candidate && -x $candidate ]]; then
			CONTACTBULK=$candidate
			break
		fi
	done
fi
if [[ -z ${CONTACTBULK:-} || ! -x $CONTACTBULK ]]; then
	log "config error: cannot find contactbulk (cron's PATH is /usr/bin:/bin); set CONTACTBULK=/path/to/contactbulk in the cron line"
	exit 2
fi

unset NEXUDUS_TOKEN # the token file or the saved login, not a stray variable, says who runs the export
if [[ -n ${NEXUDUS_TOKEN_FILE:-} ]]; then
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
	credentials="token file $NEXUDUS_TOKEN_FILE"
else
	unset NEXUDUS_TOKEN_FILE
	credentials="saved login"
fi

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
out=$EXPORT_DIR/contacts-$(date -u +%Y-%m-%d).$FORMAT
if [[ -e $out ]]; then
	out=$EXPORT_DIR/contacts-$(date -u +%Y-%m-%dT%H%M%SZ).$FORMAT
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
2) log "CONFIG ERROR (exit 2): fix the flags, the URL or the credentials (used: $credentials): run $CONTACTBULK login as the user cron runs this as, or set NEXUDUS_TOKEN_FILE to a 0600 token file; see $LOG" ;;
130) log "interrupted (exit 130); previous files and state kept" ;;
*) log "FAILED (exit $rc); see $LOG" ;;
esac
exit "$rc"
