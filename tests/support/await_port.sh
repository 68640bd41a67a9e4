# Sourced by the node-driven tests (browser/, contract/) after they start `tenantry serve` in the background
# with TENANTRY_LISTEN=127.0.0.1:0: `await_port PID LOG` sets `port` to the port the server announced in LOG,
# or prints the log and exits when the server dies or does not announce one within 10 s.
await_port() {
  local pid=$1 log=$2
  port=""
  for _ in $(seq 1 100); do
    port=$(grep -oE 'serving [0-9]+ tenants on http://127.0.0.1:[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  echo "the server did not start"
  cat "$log"
  exit 1
}
