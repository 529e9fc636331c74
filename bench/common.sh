# Shared by the load scripts (run.sh, compare.sh, soak.sh, latency.sh, flows_latency.sh);
# sourced from the project root. Sourcing it makes $work, a scratch directory holding certs/
# (scripts/dev-certs.sh), removed at exit together with every job the script started. For
# saturate, $seconds is the length of a run.

work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
scripts/dev-certs.sh "$work/certs" >/dev/null

install_tools() {  # command:package ... -> installs the Debian package of each missing command
  local tool
  for tool in "$@"; do
    command -v "${tool%%:*}" >/dev/null || apt-get install -y -qq "${tool##*:}" >/dev/null
  done
}

fixtures=tests/fixtures/apiserver-v1.28
# The mixed workload: recorded AdmissionReviews (some denied) and a Deployment CREATE.
export NETADMIT_BENCH_BODIES="$fixtures/001-NetworkPolicy-CREATE-bad-allow-everything.body.json \
$fixtures/002-NetworkPolicy-CREATE-good-second.body.json \
$fixtures/003-Pod-CREATE-web-2.body.json \
$fixtures/004-NetworkPolicy-UPDATE-good-second.body.json \
$fixtures/005-NetworkPolicy-DELETE-good-second.body.json \
bench/requests/deployment-create.json"
single_body="$fixtures/001-NetworkPolicy-CREATE-bad-allow-everything.body.json"

start_netadmit() {  # binary port log [args...] -> sets netadmit_pid; one worker thread, core 0
  local binary=$1 port=$2 log=$3
  shift 3
  taskset -c 0 "$binary" serve --listen "127.0.0.1:$port" --threads 1 \
    --tls-cert "$work/certs/tls.crt" --tls-key "$work/certs/tls.key" "$@" >"$log" 2>&1 &
  netadmit_pid=$!
}

first_answer() {  # port log -> the answer to the single body, once the server is up
  local response=
  for _ in $(seq 50); do
    response=$(curl -sf --cacert "$work/certs/ca.crt" -H 'Content-Type: application/json' \
      --data-binary @"$single_body" "https://127.0.0.1:$1/validate" || true)
    [ -n "$response" ] && break
    sleep 0.1
  done
  [ -n "$response" ] || { echo "netadmit did not start" >&2; cat "$2" >&2; return 1; }
  printf '%s' "$response"
}

start_nginx() {  # port response -> sets nginx_pid; one worker answering `response`, core 0
  local escaped
  escaped=$(printf '%s' "$2" | sed -e "s/[\\/&]/\\\\&/g" -e "s/'/\\\\'/g")
  sed -e "s|@DIR@|$work|g" -e "s|@PORT@|$1|g" bench/nginx.conf.in |
    sed -e "s/@RESPONSE@/$escaped/" >"$work/nginx.conf"
  taskset -c 0 nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
  nginx_pid=$!
  sleep 1
}

saturate() {  # name port -> requests/s; wrk's report is kept in $work/wrk-NAME.txt
  local out
  out=$(taskset -c 1 wrk -t1 -c32 -d"${seconds}s" --latency -s bench/mixed.lua "https://127.0.0.1:$2")
  echo "$out" >"$work/wrk-$1.txt"
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}

non_200() {  # name -> non-200 answers and socket errors of its wrk run, as wrk and mixed.lua count
  awk '/non-200 responses/ {n += $3} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10}
       END {print n + 0}' "$work/wrk-$1.txt"
}

# A fixed offered rate from h2load on core 1: 10 keep-alive clients, each sending rate/10
# requests/s for 10 s, every request's latency logged.
fixed_rate() {  # name port rate [body] -> "p50 p99 p99.9" in microseconds and the non-200 count
  local clients=10 total
  total=$(( $3 * 10 ))
  rm -f "$work/h2load-$1-$3.log"
  taskset -c 1 h2load --h1 -c "$clients" -n "$total" --rps $(( $3 / clients )) \
    -H 'Content-Type: application/json' -d "${4:-$single_body}" \
    --log-file "$work/h2load-$1-$3.log" "https://127.0.0.1:$2/validate" >/dev/null
  python3 - "$work/h2load-$1-$3.log" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
durations = sorted(int(row[2]) for row in rows)
def pct(p):
    return durations[min(len(durations) - 1, int(p / 100 * len(durations)))]
print(f"{pct(50)} {pct(99)} {pct(99.9)} {sum(1 for row in rows if row[1] != '200')}")
PY
}

# bench_apiserver on core 1 (it serves the initial LISTs, then holds idle watches), serving a
# generated cluster; sets $kubeconfig once it is up.
start_bench_apiserver() {  # namespaces policies pods [deployments]
  mkdir -p "$work/cluster"
  taskset -c 1 build/release/bench/bench_apiserver "$work/cluster" --namespaces "$1" \
    --policies "$2" --pods "$3" --deployments "${4:-0}" >"$work/apiserver.out" \
    2>"$work/apiserver.log" &
  for _ in $(seq 600); do
    grep -q '^ready ' "$work/apiserver.out" && break
    sleep 0.1
  done
  grep -q '^ready ' "$work/apiserver.out" ||
    { echo "bench_apiserver did not start" >&2; cat "$work/apiserver.log" >&2; return 1; }
  kubeconfig=$(awk '/^ready / {print $2}' "$work/apiserver.out")
}

# Waits until /readyz answers 200 (with a cluster: every kind listed, the cache full).
wait_ready() {  # port log -> fails, showing the log's end, after 180 s
  local ready=
  for _ in $(seq 1800); do
    ready=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/certs/ca.crt" \
      "https://127.0.0.1:$1/readyz" || true)
    [ "$ready" = 200 ] && return 0
    sleep 0.1
  done
  echo "netadmit on port $1 did not become ready" >&2
  tail -20 "$2" >&2
  return 1
}

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }  # pid -> resident memory
