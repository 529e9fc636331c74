#!/usr/bin/env bash
# Two netadmit binaries side by side: saturation of each, and of nginx, alternately, round after
# round, so that a change smaller than this VM's drift still shows. Prints every round, then the
# median of the paired ratios (after ÷ before) and of each against nginx.
#
# Usage: bench/compare.sh BEFORE AFTER [ROUNDS] [SECONDS]
#   BEFORE, AFTER: netadmit binaries, e.g. one built in a `git worktree` of the older commit
#   (cmake --preset release && cmake --build --preset release --target netadmit there).
# Same setup as bench/run.sh: servers on core 0, wrk on core 1, the mixed workload.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 2 ] || { sed -n '2,9p' "$0"; exit 2; }
before=$(realpath "$1")
after=$(realpath "$2")
rounds="${3:-5}"
seconds="${4:-10}"
cd "$root"
source bench/common.sh
install_tools nginx:nginx-light wrk:wrk

port=18443

only_200() {  # name -> fails naming the run when any of its answers was not 200
  [ "$(non_200 "$1")" = 0 ] || { echo "$1: $(non_200 "$1") answers were not 200" >&2; return 1; }
}

netadmit_rps() {  # binary -> requests/s
  start_netadmit "$1" "$port" "$work/netadmit.log"
  first_answer "$port" "$work/netadmit.log" >/dev/null
  local rps
  rps=$(saturate netadmit "$port")
  kill "$netadmit_pid"
  wait "$netadmit_pid" || true
  only_200 netadmit || return 1
  echo "$rps"
}

# nginx answers with the newer netadmit's response to the denied request, byte for byte.
start_netadmit "$after" "$port" "$work/netadmit.log"
response=$(first_answer "$port" "$work/netadmit.log")
kill "$netadmit_pid"
wait "$netadmit_pid" || true

echo "| round | before, requests/s | after, requests/s | nginx, requests/s | after ÷ before | after ÷ nginx |"
echo "|---|---|---|---|---|---|"
results=()
for round in $(seq "$rounds"); do
  b=$(netadmit_rps "$before")
  a=$(netadmit_rps "$after")
  start_nginx "$port" "$response"
  n=$(saturate nginx "$port")
  kill "$nginx_pid"
  wait "$nginx_pid" || true
  only_200 nginx
  results+=("$b $a $n")
  python3 -c "print(f'| $round | {$b:,.0f} | {$a:,.0f} | {$n:,.0f} | {$a / $b:.2f} | {$a / $n:.2f} |')"
done
printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
rows = [[float(x) for x in line.split()] for line in sys.stdin]
print()
print(f"Median of {len(rows)} paired ratios: after ÷ before {statistics.median(a / b for b, a, _ in rows):.2f}"
      f", before ÷ nginx {statistics.median(b / n for b, _, n in rows):.2f}"
      f", after ÷ nginx {statistics.median(a / n for _, a, n in rows):.2f}")'
