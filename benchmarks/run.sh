#!/usr/bin/env bash
# Every benchmark of Clearway on this machine, in one command, written into benchmarks/RESULTS.md
# (its generated block; the hand-written sections stay) with PNG plots in benchmarks/results/.
#
#   flock /tmp/clearway-it.lock benchmarks/run.sh          # all phases, ~10 min on 2 cores after the build
#   benchmarks/run.sh --only e2e --jfr                     # one phase (or a comma list), the gateway profiled
#   SKIP_BUILD=1 benchmarks/run.sh --quick                 # reuse the jars; tiny settings, results under target/quick
#
# Phases (in this order):
#   jmh   JMH: MQTT decode/encode/framing, route evaluation, store append / read / read+acknowledge
#         (1 fork, 2 warm-up and 5 measured iterations of 1 s each; override with JMH_ARGS).
#   e2e   dev.clearway.benchmarks.EndToEnd: K devices (HiveMQ client, MQTT/TLS, QoS 1, 1 KB) through
#         Clearway (clearway.jar run, durable store on) and through a Mosquitto TLS bridge to the same
#         upstream Mosquitto: max throughput (closed loop), then latency at half of Clearway's max.
#   idle  dev.clearway.benchmarks.IdleConnectionMemory: memory per idle MQTT/TLS connection, Clearway
#         and Mosquitto, 10,000 connections from 127.0.0.x source addresses.
#
# Options (defaults in brackets):
#   --only LIST            phases to run, comma-separated [jmh,e2e,idle]
#   --quick                a smoke run: small settings, written to benchmarks/target/quick/ instead
#   --jfr                  e2e: record the gateway with JFR in the measured windows; hot methods in RESULTS.md
#   --devices K [100] --window N [10] --warmup S [15] --duration S [30] --rate R [half of Clearway's max]
#   --window-scope end-to-end|puback [end-to-end: a message is in flight until acknowledged and arrived upstream]
#   --systems LIST [clearway,mosquitto] --bridge-inflight N [20] --gateway-heap SIZE [1g]
#   --store-sync true|false [true: the comparison's setting; false only to see what fsync costs]   (e2e)
#   --connections N [10000] --per-address N [5000] --idle-heap SIZE [3g]                  (idle)
#   --gateway-flags "FLAGS" [none] more JVM flags for the gateway, e.g. a setting to try   (e2e, idle)
#   --max-minutes M [40]   bounds the whole run, build included
# Environment: SKIP_BUILD=1 reuses actors/target/clearway.jar and benchmarks/target/benchmarks.jar;
# JMH_ARGS replaces the JMH settings. Needs root (or sudo) only to install Mosquitto when it is missing.
#
# Every process the run starts (JVMs, Mosquitto daemons) is stopped when it ends, fails or is
# interrupted. Exit code: 0 when every phase succeeded, 1 when one failed, 2 for a bad command line.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

ONLY="jmh,e2e,idle"
QUICK=0
MAX_MINUTES=40
JFR=0
declare -A E2E=()      # option -> value, as given; the harness's defaults apply to the rest
declare -A IDLE=()
IDLE_HEAP=""
ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) ONLY="${2:?--only needs a value}"; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --jfr) JFR=1; shift ;;
    --devices|--window|--window-scope|--warmup|--duration|--rate|--systems|--bridge-inflight|--gateway-heap|--store-sync)
      E2E["$1"]="${2:?$1 needs a value}"; shift 2 ;;
    --connections|--per-address) IDLE["$1"]="${2:?$1 needs a value}"; shift 2 ;;
    --gateway-flags) E2E["$1"]="${2:?$1 needs a value}"; IDLE["$1"]="$2"; shift 2 ;;
    --idle-heap) IDLE_HEAP="${2:?--idle-heap needs a value}"; shift 2 ;;
    --max-minutes) MAX_MINUTES="${2:?--max-minutes needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see benchmarks/run.sh --help)" >&2; exit 2 ;;
  esac
done
IFS=',' read -r -a PHASES <<< "$ONLY"
for p in "${PHASES[@]}"; do
  [[ "$p" =~ ^(jmh|e2e|idle)$ ]] || { echo "run.sh: unknown phase '$p' in --only (jmh, e2e, idle)" >&2; exit 2; }
done
[[ "$MAX_MINUTES" =~ ^[0-9]+$ ]] || { echo "run.sh: --max-minutes must be a whole number" >&2; exit 2; }

# The whole run, build included, is bounded: re-run this script under timeout (SIGTERM, then
# SIGKILL 60 s later); the trap below stops what was started either way but SIGKILL.
if [[ -z "${CLEARWAY_BENCH_BOUNDED:-}" ]]; then
  export CLEARWAY_BENCH_BOUNDED=1
  exec timeout --kill-after=60s "${MAX_MINUTES}m" "$0" "${ARGS[@]}"
fi

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
STARTED=$(date +%s)
COMMAND="benchmarks/run.sh${ARGS[*]:+ ${ARGS[*]}}"
LOAD_AVERAGE="$(cat /proc/loadavg)"

# Settings the user did not give: the full run's, or small ones for --quick (written elsewhere, so
# a smoke run never replaces the committed results).
default() { local -n map=$1; [[ -n "${map[$2]+x}" ]] || map[$2]="$3"; }
if [[ "$QUICK" == 1 ]]; then
  OUT="$ROOT/benchmarks/target/quick"
  JMH_ARGS="${JMH_ARGS:--f 1 -wi 1 -w 1s -i 1 -r 1s}"
  default E2E --devices 10; default E2E --warmup 3; default E2E --duration 5
  default IDLE --connections 600; default IDLE --per-address 300
  IDLE_EXTRA=(--baseline 100 --warmup 100 --settle-seconds 3)
  IDLE_HEAP="${IDLE_HEAP:-1g}"
else
  OUT="$ROOT/benchmarks"
  JMH_ARGS="${JMH_ARGS:--f 1 -wi 2 -w 1s -i 5 -r 1s}"
  default IDLE --connections 10000; default IDLE --per-address 5000
  IDLE_EXTRA=(--settle-seconds 10)
  # About 30 KB of heap per connection (130 KB before Clearway's own TLS stage): 3 GB holds 10,000
  # either way. The heap is pre-touched, so RSS starts at its size.
  IDLE_HEAP="${IDLE_HEAP:-3g}"
fi
RESULTS="$OUT/RESULTS.md"
PLOTS="$OUT/results"
WORK="$ROOT/benchmarks/target/run"
[[ "$QUICK" == 1 ]] && WORK="$OUT/run"
E2E_ARGS=()
for k in "${!E2E[@]}"; do E2E_ARGS+=("$k" "${E2E[$k]}"); done
[[ "$JFR" == 1 ]] && E2E_ARGS+=(--jfr)
IDLE_ARGS=("${IDLE_EXTRA[@]}")
for k in "${!IDLE[@]}"; do IDLE_ARGS+=("$k" "${IDLE[$k]}"); done

# Processes a run leaves only when it is killed outright (SIGKILL: no trap, no shutdown hook):
# every pid file under the work directory whose process still names that directory on its command
# line (the gateway's --config, Mosquitto's -c). Called before a run clears the directory, and after.
ours() { [[ "$1" =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null < "/proc/$1/cmdline" | grep -qF "$WORK"; }
stop_leftovers() {
  [[ -d "$WORK" ]] || return 0
  local f pid
  while IFS= read -r f; do
    pid="$(cat "$f" 2>/dev/null || true)"
    if ours "$pid"; then
      echo "run.sh: stopping leftover process $pid ($f)" >&2
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 10); do ours "$pid" || break; sleep 1; done
      if ours "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
  done < <(find "$WORK" -name '*.pid' 2>/dev/null)
}

CHILD=""
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  if [[ -n "$CHILD" ]] && kill -0 "$CHILD" 2>/dev/null; then
    # The harness's own shutdown hook stops its gateway and brokers.
    kill -TERM "$CHILD" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$CHILD" 2>/dev/null || break; sleep 1; done
    kill -KILL "$CHILD" 2>/dev/null || true
  fi
  stop_leftovers
  exit "$code"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

# Runs one phase in the background (so a signal reaches the trap at once), its output to the
# terminal and to $WORK/<phase>.log, its exit code to $WORK/<phase>.exit.
phase() {
  local name="$1"; shift
  echo "=== $name: $*"
  set +e
  "$@" > >(tee "$WORK/$name.log") 2>&1 &
  CHILD=$!
  wait "$CHILD"
  local code=$?
  set -e
  CHILD=""
  echo "$code" > "$WORK/$name.exit"
  echo "=== $name: exit code $code"
  [[ "$code" == 0 ]] || FAILED=1
}

if [[ "${SKIP_BUILD:-0}" != "1" ]]; then
  echo "=== build: mvn -B -q -DskipTests package"
  mvn -B -q -DskipTests package
fi
for jar in actors/target/clearway.jar benchmarks/target/benchmarks.jar; do
  [[ -f "$jar" ]] || { echo "run.sh: $jar is missing; run without SKIP_BUILD=1" >&2; exit 1; }
done

if [[ ",$ONLY," =~ ,(e2e|idle), ]] && ! command -v mosquitto >/dev/null; then
  echo "=== installing Mosquitto from Debian's packages"
  SUDO=""
  [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  $SUDO apt-get update && $SUDO apt-get install -y mosquitto mosquitto-clients
fi
if command -v mosquitto >/dev/null; then
  echo "=== $(mosquitto -h 2>/dev/null | head -1)"
fi

stop_leftovers
rm -rf "$WORK"
mkdir -p "$WORK" "$PLOTS"
FAILED=0
JAVA=(java)
BENCH_CP=(-cp benchmarks/target/benchmarks.jar)

for p in "${PHASES[@]}"; do
  case "$p" in
    jmh)
      # shellcheck disable=SC2206 # JMH_ARGS is a list of words on purpose
      JMH_CMD=("${JAVA[@]}" "-Dclearway.bench.dir=$WORK" -jar benchmarks/target/benchmarks.jar
        'MqttCodecBenchmark|RouteEvaluationBenchmark|StoreBenchmark' $JMH_ARGS -rf json -rff "$WORK/jmh.json")
      echo "${JMH_CMD[*]}" > "$WORK/jmh.command"
      phase jmh "${JMH_CMD[@]}"
      ;;
    e2e)
      phase e2e "${JAVA[@]}" -Xmx2g "${BENCH_CP[@]}" dev.clearway.benchmarks.EndToEnd \
        --work-dir "$WORK/e2e" --plot-dir "$PLOTS" --fragment "$WORK/e2e.md" "${E2E_ARGS[@]+"${E2E_ARGS[@]}"}"
      ;;
    idle)
      phase idle "${JAVA[@]}" -Xmx4g "${BENCH_CP[@]}" dev.clearway.benchmarks.IdleConnectionMemory \
        --work-dir "$WORK/idle" --fragment "$WORK/idle.md" --mosquitto --gateway-heap "$IDLE_HEAP" "${IDLE_ARGS[@]}"
      ;;
  esac
done

echo "=== results"
"${JAVA[@]}" "${BENCH_CP[@]}" dev.clearway.benchmarks.ResultsReport --work-dir "$WORK" --phases "$ONLY" \
  --results "$RESULTS" --command "$COMMAND" --seconds "$(( $(date +%s) - STARTED ))" --load-average "$LOAD_AVERAGE"
echo "results: $RESULTS; plots: $PLOTS; raw data and logs: $WORK"
exit "$FAILED"
