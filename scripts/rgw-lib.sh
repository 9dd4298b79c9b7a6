# shellcheck shell=bash
# shellcheck disable=SC2034  # settings are used by the scripts that source this file
# Shared settings for rgw-start.sh / rgw-stop.sh: a throwaway single-node Ceph RADOS Gateway,
# the S3 server cloudlite's tests run against. Sourced, not executed.
#
# Everything lives under one state directory with its own ceph.conf; every Ceph command gets
# `-c "$RGW_CONF"` (and CEPH_CONF points there too) so the machine's /etc/ceph is never read.
# All listeners bind to 127.0.0.1. Override with environment variables:
#   CLOUDLITE_RGW_DIR       state directory          (default /tmp/cloudlite-rgw)
#   CLOUDLITE_RGW_PORT      S3 port                  (default 7480)
#   CLOUDLITE_RGW_MON_PORT  monitor port (msgr v2)   (default 13300)
#   CLOUDLITE_RGW_BUCKET    bucket created for tests (default cloudlite-test)

RGW_DIR="${CLOUDLITE_RGW_DIR:-/tmp/cloudlite-rgw}"
RGW_PORT="${CLOUDLITE_RGW_PORT:-7480}"
RGW_MON_PORT="${CLOUDLITE_RGW_MON_PORT:-13300}"  # used by rgw-start.sh
RGW_BUCKET="${CLOUDLITE_RGW_BUCKET:-cloudlite-test}"
RGW_CONF="$RGW_DIR/ceph.conf"
RGW_PIDS="$RGW_DIR/pids"           # "<name> <pid>" per line, one per daemon we started
RGW_MARKER="$RGW_DIR/.cloudlite-rgw"  # proves the directory is ours before rm -rf
RGW_ENDPOINT="http://127.0.0.1:$RGW_PORT"

# Fixed keys for a local test server that only listens on loopback: not secrets.
RGW_ACCESS_KEY="CLOUDLITETESTKEY0001"
RGW_SECRET_KEY="cloudliteTestSecretKey0000000000000000001"

export CEPH_CONF="$RGW_CONF"

rgw_log() { echo "rgw: $*" >&2; }

# The environment a client needs, as shell you can eval.
rgw_print_env() {
  cat <<EOF
export AWS_ACCESS_KEY_ID=$RGW_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$RGW_SECRET_KEY
export AWS_ENDPOINT_URL_S3=$RGW_ENDPOINT
export AWS_REGION=us-east-1
export CLOUDLITE_TEST_S3_URI=s3://$RGW_BUCKET
EOF
}

# True when every pid recorded in the pid file is alive and is the daemon we recorded.
rgw_pids_alive() {
  [ -s "$RGW_PIDS" ] || return 1
  local name pid
  while read -r name pid; do
    [ -n "$pid" ] || continue
    rgw_pid_is "$name" "$pid" || return 1
  done <"$RGW_PIDS"
  return 0
}

# Whether pid is alive and still runs the binary we started under that name (guards against a
# recycled pid).
rgw_pid_is() {
  local name="$1" pid="$2" exe
  kill -0 "$pid" 2>/dev/null || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  case "$name" in
    mon) [[ "$exe" == */ceph-mon* ]] ;;
    osd) [[ "$exe" == */ceph-osd* ]] ;;
    rgw) [[ "$exe" == */radosgw* ]] ;;
    *) return 1 ;;
  esac
}

# Stops exactly the recorded pids, newest first (radosgw, then the OSD, then the monitor: a
# daemon whose monitor is gone can spend minutes trying to reach it): SIGTERM, up to 5 s grace,
# then SIGKILL. The cluster is throwaway, so a KILL loses nothing.
rgw_kill_recorded() {
  [ -f "$RGW_PIDS" ] || return 0
  local name pid
  while read -r name pid; do
    [ -n "$pid" ] || continue
    rgw_pid_is "$name" "$pid" || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      rgw_log "$name (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done < <(tac "$RGW_PIDS")
}

rgw_remove_state_dir() {
  if [ -d "$RGW_DIR" ]; then
    if [ ! -f "$RGW_MARKER" ]; then
      rgw_log "refusing to delete $RGW_DIR: it was not created by rgw-start.sh (no $RGW_MARKER)"
      return 1
    fi
    rm -rf "$RGW_DIR"
  fi
}
