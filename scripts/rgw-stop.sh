#!/usr/bin/env bash
# Stops the gateway started by rgw-start.sh: kills exactly the pids it recorded (never by name)
# and removes its state directory. Safe to run when nothing is running.
set -euo pipefail
cd "$(dirname "$0")"
source ./rgw-lib.sh

if [ ! -d "$RGW_DIR" ]; then
  rgw_log "nothing to stop ($RGW_DIR does not exist)"
  exit 0
fi
rgw_kill_recorded
rgw_remove_state_dir
rgw_log "stopped; removed $RGW_DIR"
