# The demo's signal handling: Ctrl-C or `kill -INT`/`-TERM` of the script ends
# it at once and tears down. Bash runs a trap only when the foreground command
# returns, and the script's last command (the monitor) never gets a signal sent
# to the script's pid alone, so the demo used to wait out its time limit. The
# long-running command runs in the background instead, and `wait` (which a
# trapped signal interrupts) holds the script.

# supervise CLEANUP: CLEANUP runs once, at exit or on INT/TERM (exit 130/143).
supervise() {
  trap "$1; exit 130" INT
  trap "$1; exit 143" TERM
  trap "$1" EXIT
}

# run_supervised CMD...: runs CMD until it ends or a signal ends the script.
run_supervised() {
  "$@" &
  SUPERVISED_PID=$!
  wait "$SUPERVISED_PID" || true
}

# stop_supervised: for CLEANUP, ends what run_supervised started (if it still runs).
stop_supervised() {
  if [ -n "${SUPERVISED_PID:-}" ]; then kill "$SUPERVISED_PID" 2>/dev/null || true; fi
}
