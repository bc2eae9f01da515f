#!/usr/bin/env bash
# Fresh-clone proof of the README's `make run`: clone the repository at HEAD
# into an empty directory, with a fresh HOME and empty GOPATH, GOCACHE and
# GOMODCACHE, only Go and the base system on PATH, and the module proxy the
# machine uses; run `make run` until it says it is ready, send one job
# request through it with the README's commands (iis tail, iis token, iis
# publish), wait for the job's decision and end on the audit topic, and stop
# it with Ctrl-C's signal. A missing install step fails here, not for a user.
#
# Every listener is on a free port (127.0.0.1:0), so it runs beside other
# stacks on the default ports. Usage: .ci/fresh-clone.sh [repo] (default: this
# one); IIS_FRESH_KEEP=1 keeps the directory for a look afterwards.
set -euo pipefail

repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }
say() { echo "fresh-clone [$(elapsed)]: $*"; }

# What the machine's go command uses to reach modules, carried into the
# fresh environment (its own go env file lives in the HOME left behind).
export PATH="/usr/local/go/bin:/usr/bin:/bin"
for v in GOPROXY GOSUMDB GONOSUMDB GOPRIVATE GONOPROXY GOINSECURE GOTOOLCHAIN; do
  val=$(go env "$v")
  if [ -n "$val" ]; then export "$v=$val"; else unset "$v"; fi
done
unset GOFLAGS GOENV GOPATH GOCACHE GOMODCACHE PUBSUB_EMULATOR_HOST

work=$(mktemp -d /tmp/iis-fresh-clone.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  if [ -n "${IIS_FRESH_KEEP:-}" ]; then echo "fresh-clone: kept $work" >&2; return; fi
  chmod -R u+w "$work" 2>/dev/null || true # the module cache is read-only
  rm -rf "$work"
}
trap cleanup EXIT
export HOME="$work/home" GOPATH="$work/gopath" GOCACHE="$work/gocache" GOMODCACHE="$work/gopath/pkg/mod"
mkdir -p "$HOME"
export GOENV="$HOME/.config/go/env"

# The committed HEAD, whatever branch (or none) it is on.
git clone -q --no-checkout "$repo" "$work/src"
cd "$work/src"
git fetch -q "$repo" HEAD
git checkout -q FETCH_HEAD
rev=$(git rev-parse HEAD)
say "cloned $rev into $work/src; go $(go env GOVERSION), GOPROXY=$(go env GOPROXY), empty GOMODCACHE"

fail() {
  echo "fresh-clone FAILED after $(elapsed): $*" >&2
  for f in run.log tail.out tail.err; do
    [ -f "$work/$f" ] && { echo "--- $f (last 60 lines)" >&2; tail -n 60 "$work/$f" >&2; }
  done
  exit 1
}

# `make run`, as the README says, on free ports; JSON logs to read the start line.
IIS_DEV_PUBSUB_ADDR=127.0.0.1:0 IIS_DEV_IAM_ADDR=127.0.0.1:0 IIS_DEV_DATAPROC_ADDR=127.0.0.1:0 \
IIS_HTTP_ADDR=127.0.0.1:0 IIS_LOG_FORMAT=json \
  setsid make run >"$work/run.log" 2>&1 &
run_pid=$!
pids+=("$run_pid")
for _ in $(seq 1 540); do # module download and first build dominate
  grep -q '"dev broker running' "$work/run.log" && break
  kill -0 "$run_pid" 2>/dev/null || fail "make run exited before it was ready"
  sleep 1
done
grep -q '"dev broker running' "$work/run.log" || fail "make run not ready after 9 minutes"
ready=$(elapsed)
emulator=$(sed -n 's/.*export PUBSUB_EMULATOR_HOST=\([^ ]*\).*/\1/p' "$work/run.log" | head -1)
issuer=$(sed -n 's/.*OIDC dev issuer *\(http[^ ]*\).*/\1/p' "$work/run.log" | head -1)
[ -n "$emulator" ] && [ -n "$issuer" ] || fail "no Pub/Sub address or issuer in the banner"
grep '"iis dev starting"' "$work/run.log" | grep -q "\"commit\":\"$rev\"" \
  || fail "the start log does not name commit $rev"
say "make run ready in $ready (Pub/Sub $emulator, issuer $issuer); its start log names commit ${rev:0:12}"

# The README walk-through, in a second terminal.
export PUBSUB_EMULATOR_HOST="$emulator"
setsid go run ./cmd/iis tail >"$work/tail.out" 2>"$work/tail.err" &
tail_pid=$!
pids+=("$tail_pid")
for _ in $(seq 1 120); do
  grep -q '^following' "$work/tail.err" && break
  kill -0 "$tail_pid" 2>/dev/null || fail "iis tail exited"
  sleep 0.5
done
grep -q '^following' "$work/tail.err" || fail "iis tail never subscribed"

TOKEN=$(go run ./cmd/iis token -issuer "$issuer" -as alice@example.com) || fail "iis token"
published=$(go run ./cmd/iis publish -type job.requested -token "$TOKEN" -data \
  '{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}') \
  || fail "iis publish"
id=$(echo "$published" | sed -n 's/.*, event \([^)]*\)).*/\1/p')
[ -n "$id" ] || fail "no event id in: $published"
say "published job request $id"

# job.approved, then the job runs to SUCCEEDED (local Dataproc: 2s pending, 10s
# running). Pub/Sub may deliver out of order: read the trail in audit-chain
# order (seq).
want='job.approved credential.issued job.submitted job.state_changed:RUNNING job.state_changed:SUCCEEDED'
for _ in $(seq 1 120); do
  trail=$( (grep -F "request=$id" "$work/tail.out" || true) \
    | sed -E 's/^[^ ]+ +([a-z_.]+)\.v1 .* seq=([0-9]+) .*"state":"([A-Z_]+)".*/\2 \1:\3/; s/^[^ ]+ +([a-z_.]+)\.v1 .* seq=([0-9]+) .*/\2 \1/' \
    | sort -n | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//')
  [ "$trail" = "$want" ] && break
  case "$trail" in *denied*|*rejected*|*FAILED*|*CANCELLED*) fail "audit trail: $trail" ;; esac
  sleep 0.5
done
[ "$trail" = "$want" ] || fail "audit trail of $id: '$trail', want '$want'"
say "audit trail of $id: $trail"

# Ctrl-C: SIGINT to the process groups, as a terminal sends it.
kill -INT -- "-$tail_pid" 2>/dev/null || true
kill -INT -- "-$run_pid"
for _ in $(seq 1 60); do
  kill -0 -- "-$run_pid" 2>/dev/null || break
  sleep 0.5
done
kill -0 -- "-$run_pid" 2>/dev/null && fail "make run still running 30s after SIGINT"
grep -q '^iis dev: ' "$work/run.log" && fail "iis dev stopped with an error: $(grep '^iis dev: ' "$work/run.log")"
grep -q '"severity":"\(ERROR\|CRITICAL\|ALERT\)"' "$work/run.log" && fail "errors logged: $(grep '"severity":"ERROR' "$work/run.log" | head -3)"
pids=()
say "stopped cleanly; passed in $(elapsed) (ready in $ready)"
