#!/usr/bin/env bash
# Memory per idle MQTT/TLS connection of the gateway (dev.clearway.benchmarks.IdleConnectionMemory).
#
# Builds the gateway jar and the benchmarks jar (a reactor build: never `mvn install`), then opens
# a baseline of connections and then N in total against a gateway started as its own JVM on
# 127.0.0.1, and prints heap-after-GC, RSS and threads per connection. The report is appended to
# benchmarks/RESULTS.md. Run from anywhere; it works from the repository root.
#
#   benchmarks/idle-connections.sh                      # N = 5000, baseline 100
#   benchmarks/idle-connections.sh --connections 1000   # any option of IdleConnectionMemory
#   SKIP_BUILD=1 benchmarks/idle-connections.sh --nmt   # reuse the jars; add native memory tracking
#
# Options (defaults): --connections 5000 --baseline 100 --warmup 1000 --concurrency 200 --settle-seconds 15
# --gateway-heap 1g --tls TLSv1.3 --keep-alive 600 --per-address 5000 --max-minutes 25 [--nmt] [--mosquitto]
# [--keep-data] [--dump-dir DIR]. benchmarks/run.sh runs the same harness (10,000 connections, with
# --mosquitto) into RESULTS.md's generated block instead of appending a dated section.
# The client side (5,000 HiveMQ clients) runs in this script's JVM, with CLIENT_HEAP (default 3g).
# Exit code: 0 when every connection succeeded and stayed up, 1 otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."

if [[ "${SKIP_BUILD:-0}" != "1" ]]; then
  mvn -B -q -DskipTests package
fi

# The harness stops the gateway itself (finally + shutdown hook); `timeout` bounds the whole run
# even if the harness hangs, and sends SIGTERM first so that hook still runs.
exec timeout --kill-after=30s 30m \
  java "-Xmx${CLIENT_HEAP:-3g}" -cp benchmarks/target/benchmarks.jar \
  dev.clearway.benchmarks.IdleConnectionMemory "$@"
