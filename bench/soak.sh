#!/usr/bin/env bash
# A long run: netadmit under saturating load for MINUTES minutes, the recorded AdmissionReviews
# of run.sh with one request in ten malformed (bench/soak.lua), its resident memory sampled every
# 30 seconds. Flat is the goal: growth means a leak or an unbounded cache. Every good request must
# be answered 200 and every malformed one with its 4xx; the script fails otherwise, or when the
# process is gone. Prints Markdown; docs/PERFORMANCE.md records its output.
#
# Usage: bench/soak.sh [MINUTES]        (default 10)
# Needs: wrk (installed when missing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
minutes="${1:-10}"

scripts/install-deps.sh
source bench/common.sh
install_tools wrk:wrk

cmake --preset release >/dev/null
cmake --build --preset release --target netadmit >/dev/null

port=18445

# The decision log goes to /dev/null: a file that grows for ten minutes would be measured too.
start_netadmit build/release/cli/netadmit "$port" /dev/null
pid=$netadmit_pid
first_answer "$port" /dev/null >/dev/null

seconds=$((minutes * 60))
connections=32
taskset -c 1 wrk -t1 -c$connections -d"${seconds}s" -s bench/soak.lua "https://127.0.0.1:$port" \
  >"$work/wrk.txt" &
load=$!

echo "## Memory over $minutes minutes under load ($(date -u +%Y-%m-%d))"
echo
echo "Command: \`bench/soak.sh $minutes\`. netadmit on core 0 with one thread, wrk on core 1 with"
echo "$connections keep-alive connections sending the mixed workload, one request in ten malformed,"
echo "as fast as netadmit answers."
echo
echo "| minute | resident memory (KiB) |"
echo "|---|---|"
echo "| 0 (idle) | $(rss_kib "$pid") |"
for ((elapsed = 30; elapsed <= seconds; elapsed += 30)); do
  sleep 30
  echo "| $(python3 -c "print(f'{$elapsed / 60:g}')") | $(rss_kib "$pid") |"
done
wait "$load"
kill -0 "$pid" 2>/dev/null || { echo "netadmit is gone"; exit 1; }
echo
echo "wrk: $(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") requests/s;" \
  "$(awk '/requests in/ {print $1}' "$work/wrk.txt") requests in all."
echo
# Requests still in flight when wrk stops get no answer: at most one per connection.
python3 - "$work/wrk.txt" "$connections" <<'PY'
import sys
sent, answered, errors = {}, {}, ""
for line in open(sys.argv[1]):
    words = line.split()
    if line.startswith("sent good"):
        sent[200] = int(words[2])
    elif line.startswith("sent bad"):
        sent[int(words[2])] = int(words[3])
    elif line.startswith("answered"):
        answered[int(words[1])] = int(words[2])
    elif line.startswith("socket errors"):
        errors = line.split("socket errors")[1].strip()
slack = int(sys.argv[2])
print("| requests | sent | answered with that status |")
print("|---|---|---|")
ok = True
for status in sorted(set(sent) | set(answered)):
    s, a = sent.get(status, 0), answered.get(status, 0)
    name = "good (200)" if status == 200 else f"malformed ({status})"
    print(f"| {name} | {s} | {a} |")
    if not (s - slack <= a <= s):
        ok = False
print()
print(f"Socket errors: {errors}.")
print("Every answer as expected." if ok else "UNEXPECTED ANSWERS: see the table.")
sys.exit(0 if ok else 1)
PY
