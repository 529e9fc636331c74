# shellcheck shell=bash
# Sourced by the deploy tests that run `netadmit serve`: start it on a free loopback port and
# reach it under the Service's DNS name, as the API server does.
service_name="netadmit.netadmit-system.svc"
server_pid=""
port=""

# start_netadmit LOG COMMAND...: runs COMMAND (netadmit serve with --listen=127.0.0.1:0) in the
# background without the in-cluster environment, stderr to LOG, and waits until it listens.
# Sets server_pid and port; prints LOG and returns 1 when it does not start.
start_netadmit() {
  local log="$1"
  shift
  env -u KUBERNETES_SERVICE_HOST "$@" >/dev/null 2>"$log" &
  server_pid=$!
  for _ in $(seq 100); do
    port="$(grep -o '"event":"listening".*"port":[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
    [[ -n "$port" ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$log"
  return 1
}

stop_netadmit() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
  fi
}

# https_to_service CA PATH [CURL_OPTION...]: GET https://<Service name>:PORT/PATH, trusting CA
# and nothing else.
https_to_service() {
  local ca="$1" path="$2"
  shift 2
  curl --silent --max-time 5 --cacert "$ca" --capath /nonexistent \
    --resolve "${service_name}:${port}:127.0.0.1" "$@" "https://${service_name}:${port}${path}"
}
