#!/usr/bin/env bash
# End-to-end test of the history commands against a file:// store: log, restore (to a file and
# to a database), sql --at, verify (clean, and a damaged store: exit 4, nothing changed) and
# checkpoint, with --help, their exit codes and their errors. Needs python3.
set -euo pipefail

# shellcheck source=tests/integration/cli_checks.sh
source "$(dirname "$0")/cli_checks.sh"
DB="$STORE/app"

for cmd in log restore verify checkpoint; do
  expect_code 0 "$cmd" --help
  expect_out_contains "Usage"
done

# Versions 1..6: the table, then one row each.
expect_code 0 sql --create "$DB" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"
for i in 1 2 3 4 5; do
  expect_code 0 sql "$DB" "INSERT INTO t VALUES ($i, 'row $i')"
  expect_code 0 pull "$DB" "$TMP/v$((i + 1)).db"
done

# log: newest first, the rows each commit changed (from the change feed's section).
expect_code 0 log "$DB" --limit 2
[[ $(grep -c 't +1 ~0 -0' "$TMP/out") == 2 ]] || fail "log --limit 2: $(cat "$TMP/out")"
expect_code 0 log --json --since 4 "$DB"
python3 - "$TMP/out" <<'PY' || fail "log --json: $(cat "$TMP/out")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["version"] for r in rows] == [6, 5], rows
assert all(r["rows"] == [{"table": "t", "inserted": 1, "updated": 0, "deleted": 0}]
           and len(r["writer"]) == 32 and r["bytes_written"] > 0 for r in rows), rows
PY

# sql --at: the past, read-only.
expect_code 0 sql --at 4 "$DB" "SELECT count(*) AS n FROM t"
expect_out_contains "3"
expect_code 1 sql --at 4 "$DB" "DELETE FROM t"
expect_err_contains "(time travel), which is read-only"
expect_code 2 sql --at 60 "$DB" "SELECT 1"
expect_err_contains "version 60 of 'app' does not exist: the newest is 6"
expect_code 1 sql --at yesterday "$DB" "SELECT 1"
expect_err_contains "--at yesterday: expected a version number"
expect_code 0 sql "$DB" "SELECT count(*) AS n FROM t"
expect_out_contains "5"
# shell --at: every statement reads that version; a write is refused.
set +e
printf 'SELECT count(*) AS n FROM t;\nDELETE FROM t;\n' |
  "$BIN" shell --at 4 "$DB" >"$TMP/out" 2>"$TMP/err"
set -e
expect_out_contains "3"
expect_err_contains "(time travel), which is read-only"
expect_code 0 sql "$DB" "SELECT count(*) AS n FROM t"
expect_out_contains "5"

# restore to a file: byte for byte what pull made at that version.
expect_code 0 restore "$DB" --at 3 --to "$TMP/r3.db"
cmp -s "$TMP/r3.db" "$TMP/v3.db" || fail "restore --at 3 differs from the pull made at version 3"
expect_code 2 restore "$DB" --at 99 --to "$TMP/r99.db"
[[ ! -e $TMP/r99.db ]] || fail "a failed restore left $TMP/r99.db"
expect_code 1 restore "$DB" --to "$TMP/x.db"  # --at is required
# restore to a database, in place: version 7 holds what version 3 did.
expect_code 0 restore "$DB" --at 3 --to "$DB"
expect_out_contains "restored version 3 of $DB to $DB as version 7"
expect_code 0 sql "$DB" "SELECT group_concat(id) AS ids FROM t"
expect_out_contains "1,2"

# checkpoint: once.
expect_code 0 checkpoint "$DB"
expect_out_contains "already has a checkpoint"  # restore wrote one with version 7
expect_code 0 sql "$DB" "INSERT INTO t VALUES (9, 'nine')"
expect_code 0 checkpoint "$DB"
expect_out_contains "checkpointed $DB at version 8"
expect_code 2 checkpoint "$STORE/nope"

# verify: clean, then a flipped byte in a record (exit 4, named, nothing changed).
expect_code 0 verify "$DB"
expect_out_contains "ok"
expect_code 0 verify --json "$DB"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["ok"] and r["newest"] == 8, r' \
  "$TMP/out" || fail "verify --json: $(cat "$TMP/out")"
record=$(find "$TMP/store" -path '*log*' -name '00000000000000000002')
[[ -f $record ]] || fail "no record file for version 2 under $TMP/store"
python3 - "$record" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[len(data) // 2] ^= 1
open(path, "wb").write(bytes(data))
PY
before=$(find "$TMP/store" -type f | sort | xargs md5sum)
expect_code 4 verify "$DB"
expect_out_contains "damaged: app/log/00000000000000000002"
expect_err_contains "damaged or missing object(s) in $DB"
expect_code 4 verify --json "$DB"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert not r["ok"] and r["problems"][0]["key"] == "app/log/00000000000000000002", r' \
  "$TMP/out" || fail "verify --json on damage: $(cat "$TMP/out")"
[[ $(find "$TMP/store" -type f | sort | xargs md5sum) == "$before" ]] || fail "verify changed the store"
expect_code 2 verify "$STORE/nope"

finish history_cli_test
