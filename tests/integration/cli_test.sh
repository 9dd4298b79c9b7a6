#!/usr/bin/env bash
# End-to-end test of the `cloudlite` command against a file:// store: usage and exit codes,
# push/pull round trips, sql output (text and JSON), transactions, shell, info, ls, rm,
# --stats, and corruption/permission errors. Needs sqlite3 and python3.
set -euo pipefail

BIN=${CLOUDLITE_BIN:?set CLOUDLITE_BIN to the cloudlite executable}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
STORE="file://$TMP/store"
FAILURES=0

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

# run ARGS...: runs cloudlite, leaving stdout in $TMP/out, stderr in $TMP/err, status in CODE.
run() {
  set +e
  "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
  CODE=$?
  set -e
}

# expect_code WANT ARGS...: runs cloudlite and checks its exit status. Always returns 0 so
# that the checks chained after it with && still run and show what the command printed.
expect_code() {
  local want=$1
  shift
  run "$@"
  if [[ $CODE != "$want" ]]; then
    fail "cloudlite $*: exit $CODE, want $want; stderr: $(head -c 500 "$TMP/err")"
  fi
  return 0
}

# expect_out TEXT: stdout of the last run must be exactly TEXT (compared with its newline).
expect_out() {
  if ! diff -u <(printf '%s\n' "$1") "$TMP/out" >"$TMP/diff"; then
    fail "unexpected stdout (---want +++got):"$'\n'"$(cat "$TMP/diff")"
  fi
}

expect_err_contains() {
  if ! grep -qF -- "$1" "$TMP/err"; then
    fail "stderr lacks '$1'; stderr: $(head -c 500 "$TMP/err")"
  fi
}

# Errors are one line, starting "cloudlite: ".
expect_one_error_line() {
  if [[ $(wc -l <"$TMP/err") != 1 ]] || ! grep -q '^cloudlite: ' "$TMP/err"; then
    fail "error is not one 'cloudlite: ...' line: $(cat "$TMP/err")"
  fi
}

expect_empty_stdout() {
  if [[ -s $TMP/out ]]; then fail "stdout should be empty, got: $(head -c 500 "$TMP/out")"; fi
}

echo "== help, version and usage errors"
expect_code 0 --help && { grep -q 'Exit codes' "$TMP/out" || fail "--help lacks the exit codes"; }
expect_code 0 --version && { grep -q '^cloudlite ' "$TMP/out" || fail "--version: $(cat "$TMP/out")"; }
for cmd in push pull ls rm sql shell info; do
  expect_code 0 "$cmd" --help && { grep -q -- '--stats' "$TMP/out" || fail "$cmd --help lacks --stats"; }
  expect_code 1 "$cmd" --no-such-flag && expect_one_error_line
done
expect_code 1 && expect_one_error_line
expect_code 1 frobnicate
expect_code 1 push
expect_code 1 push only-one-arg
expect_code 1 sql "$STORE/x"
expect_code 1 info "$STORE/a" extra-positional

echo "== push a sqlite3-made database"
sqlite3 "$TMP/orig.db" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data BLOB);
INSERT INTO t VALUES (1, 'alice', 9.5, x'00ff'), (2, 'bob', NULL, NULL), (3, 'carol', 10.0, NULL);
CREATE INDEX t_name ON t(name);
EOF
expect_code 0 push "$TMP/orig.db" "$STORE/db1"
# Not a terminal: no progress bar.
[[ -s $TMP/err ]] && fail "push wrote to stderr without a terminal: $(cat "$TMP/err")"

echo "== pull round trip"
expect_code 0 pull "$STORE/db1" "$TMP/copy.db"
diff <(sqlite3 "$TMP/orig.db" .dump) <(sqlite3 "$TMP/copy.db" .dump) >/dev/null ||
  fail "pulled database dumps differently from the pushed one"

echo "== sql output"
# Numeric columns are right-aligned, NULL is blank, no trailing spaces.
expect_code 0 sql "$STORE/db1" "SELECT id, name, score FROM t ORDER BY id" && expect_out 'id  name   score
--  -----  -----
 1  alice    9.5
 2  bob
 3  carol   10.0'
expect_code 0 sql --json "$STORE/db1" "SELECT id, name, score, data FROM t ORDER BY id" &&
  expect_out '[{"id":1,"name":"alice","score":9.5,"data":"00ff"},
{"id":2,"name":"bob","score":null,"data":null},
{"id":3,"name":"carol","score":10.0,"data":null}]'
expect_code 0 sql --json "$STORE/db1" "SELECT 'a\"b' AS s, x'0102' AS b, NULL AS n" &&
  expect_out '[{"s":"a\"b","b":"0102","n":null}]'
expect_code 0 sql --json "$STORE/db1" "SELECT * FROM t WHERE id > 100" && expect_out '[]'
expect_code 0 sql "$STORE/db1" "SELECT * FROM t WHERE id > 100" && expect_empty_stdout
expect_code 0 sql "$STORE/db1" "SELECT x'0102' AS b, 'two
lines' AS s" && expect_out "b        s
-------  ----------
X'0102'  two\\nlines"
# Several row-returning statements: one JSON array per line; tables separated by a blank line.
expect_code 0 sql --json "$STORE/db1" "SELECT 1 AS a; SELECT 2 AS b" && expect_out '[{"a":1}]
[{"b":2}]'
expect_code 0 sql "$STORE/db1" "SELECT 1 AS a; SELECT 2 AS b" && expect_out 'a
-
1

b
-
2'

echo "== sql transactions"
expect_code 1 sql "$STORE/db1" \
  "INSERT INTO t VALUES (10, 'x', 1, NULL); INSERT INTO t VALUES (1, 'dup', 0, NULL)" &&
  expect_err_contains 'UNIQUE constraint failed' && expect_one_error_line && expect_empty_stdout
expect_code 0 sql "$STORE/db1" "SELECT count(*) AS n FROM t" && expect_out 'n
-
3'
expect_code 1 sql "$STORE/db1" "SELEC 1" && expect_err_contains 'syntax error'
# BEGIN/COMMIT would split the one transaction; they are refused before anything runs.
expect_code 1 sql "$STORE/db1" "INSERT INTO t VALUES (11, 'y', 1, NULL); COMMIT" &&
  expect_err_contains 'BEGIN, COMMIT and ROLLBACK are not allowed'
expect_code 1 sql "$STORE/db1" "SELECT * FROM no_such_table" && expect_err_contains 'no such table'
# A write and a read in one run; the read sees the write.
expect_code 0 sql "$STORE/db1" \
  "INSERT INTO t VALUES (4, 'dave', 7, NULL); SELECT count(*) AS n FROM t" && expect_out 'n
-
4'
sqlite3 "$TMP/orig.db" "INSERT INTO t VALUES (4, 'dave', 7, NULL)"
expect_code 0 pull "$STORE/db1" "$TMP/copy2.db"
diff <(sqlite3 "$TMP/orig.db" .dump) <(sqlite3 "$TMP/copy2.db" .dump) >/dev/null ||
  fail "after sql INSERT, the pulled database differs from the same change made by sqlite3"

echo "== info"
expect_code 0 info --json "$STORE/db1"
python3 - "$TMP/out" "$(sqlite3 "$TMP/copy2.db" 'PRAGMA page_count')" <<'EOF' ||
import json, sys
info = json.load(open(sys.argv[1]))
pages = int(sys.argv[2])
assert info["version"] >= 2, info
assert info["commits"] == info["version"], info
assert info["page_size"] == 4096, info
assert info["pages"] == pages, (info, pages)
assert info["bytes"] == info["pages"] * info["page_size"], info
assert 1 <= info["checkpoint_version"] <= info["version"], info
assert info["last_commit"].endswith("Z") and "T" in info["last_commit"], info
EOF
  fail "info --json: $(cat "$TMP/out")"
expect_code 0 info "$STORE/db1" && { grep -q '^last commit  *20[0-9-]*T' "$TMP/out" ||
  fail "info text: $(cat "$TMP/out")"; }

echo "== ls and rm"
expect_code 0 push "$TMP/orig.db" "$STORE/db2"
expect_code 0 ls "$STORE" && expect_out 'db1
db2'
expect_code 0 ls --json "$STORE" && expect_out '["db1","db2"]'
expect_code 0 rm "$STORE/db2"
expect_code 2 info "$STORE/db2" && expect_one_error_line
expect_code 2 rm "$STORE/db2" && expect_one_error_line
expect_code 0 ls "$STORE" && expect_out 'db1'

echo "== missing databases and bad input"
expect_code 2 sql "$STORE/nope" "SELECT 1" && expect_err_contains '--create'
expect_code 2 pull "$STORE/nope" "$TMP/nope.db"
[[ -e $TMP/nope.db ]] && fail "pull of a missing database created the local file"
expect_code 2 shell "$STORE/nope" </dev/null
expect_code 0 sql --create "$STORE/fresh" "CREATE TABLE a(x); INSERT INTO a VALUES (1)"
expect_code 0 sql "$STORE/fresh" "SELECT x FROM a" && expect_out 'x
-
1'
echo "this is not a database" >"$TMP/notdb.txt"
expect_code 1 push "$TMP/notdb.txt" "$STORE/bad" && expect_one_error_line &&
  expect_err_contains 'SQLite'
expect_code 2 info "$STORE/bad"
expect_code 1 info "ftp://host/db" && expect_one_error_line
expect_code 1 sql "not a uri" "SELECT 1" && expect_one_error_line
expect_code 1 info "$STORE/bad name!"

echo "== --stats"
expect_code 0 sql --stats "$STORE/db1" "SELECT count(*) FROM t"
python3 -c '
import json, sys
line = open(sys.argv[1]).read().splitlines()[-1]
s = json.loads(line)
assert list(s) == ["get", "put", "list", "delete", "bytes_in", "bytes_out"], s
assert all(isinstance(v, int) and v >= 0 for v in s.values()), s
assert s["get"] > 0 and s["bytes_in"] > 0, s
assert s["put"] == 0 and s["bytes_out"] == 0, ("a read-only query wrote", s)
' "$TMP/err" || fail "--stats line: $(cat "$TMP/err")"
# At exit whatever the outcome, on every command.
expect_code 2 info --stats "$STORE/nope"
python3 -c 'import json, sys; json.loads(open(sys.argv[1]).read().splitlines()[-1])' "$TMP/err" ||
  fail "--stats after an error: $(cat "$TMP/err")"
expect_code 0 ls --stats "$STORE"
python3 -c 'import json, sys; assert json.loads(open(sys.argv[1]).read().splitlines()[-1])["list"] > 0' \
  "$TMP/err" || fail "ls --stats: $(cat "$TMP/err")"

echo "== shell with piped stdin"
set +e
printf '%s\n' 'CREATE TABLE s(x INTEGER);' 'INSERT INTO s VALUES (1);' 'INSERT INTO s' \
  '  VALUES (2);' '' 'SELECT sum(x) AS total FROM s;' '.tables' '.schema s' |
  "$BIN" shell --create "$STORE/sh" >"$TMP/out" 2>"$TMP/err"
CODE=$?
set -e
[[ $CODE == 0 ]] || fail "shell: exit $CODE; stderr: $(cat "$TMP/err")"
expect_out 'total
-----
    3
s
CREATE TABLE s(x INTEGER);'
# Errors are reported, the next statement still runs, and the exit status is the first error's.
set +e
printf '%s\n' 'SELEC 1;' 'SELECT 42 AS answer;' '.quit' 'SELECT 1 AS after_quit;' |
  "$BIN" shell "$STORE/sh" >"$TMP/out" 2>"$TMP/err"
CODE=$?
set -e
[[ $CODE == 1 ]] || fail "shell with a bad statement: exit $CODE, want 1"
expect_err_contains 'syntax error'
expect_out 'answer
------
    42'
# The shell's writes are durable: another process sees them.
expect_code 0 sql --json "$STORE/sh" "SELECT x FROM s ORDER BY x" && expect_out '[{"x":1},
{"x":2}]'

echo "== corruption: a flipped byte in the newest commit record"
expect_code 0 push "$TMP/orig.db" "$STORE/corrupt"
# A commit after the push's checkpoint, so that opening must read this record.
expect_code 0 sql "$STORE/corrupt" "INSERT INTO t VALUES (5, 'eve', 1, NULL)"
# The file store may encode names on disk (db/log/ is a directory "log" or "log%2F" of the
# directory for "corrupt"), so match loosely; the record names are the zero-padded versions.
newest=$(find "$TMP/store" -path "$TMP/store/corrupt*/log*/*" -type f | sort | tail -n 1)
if [[ -z $newest ]]; then
  fail "no commit record for 'corrupt' under $TMP/store: $(find "$TMP/store" -type f)"
else
  python3 - "$newest" <<'EOF'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[len(data) // 2] ^= 0xFF
open(path, "wb").write(bytes(data))
EOF
  expect_code 4 sql "$STORE/corrupt" "SELECT * FROM t" && expect_one_error_line &&
    expect_empty_stdout && expect_err_contains "log/$(basename "$newest")"
  expect_code 4 info "$STORE/corrupt"
  expect_code 4 pull "$STORE/corrupt" "$TMP/corrupt.db"
fi

echo "== store directory that cannot be one"
echo "a regular file" >"$TMP/afile"
# A path through a regular file (ENOTDIR): the URI cannot name a store; see docs/cli.md.
expect_code 1 sql "file://$TMP/afile/store/db" "SELECT 1" && expect_one_error_line
expect_code 1 push "$TMP/orig.db" "file://$TMP/afile/store/db" && expect_one_error_line
if [[ $(id -u) == 0 ]]; then
  echo "note: running as root, which bypasses file permissions: skipping the chmod 000 case"
else
  mkdir -p "$TMP/locked"
  expect_code 0 push "$TMP/orig.db" "file://$TMP/locked/db"
  chmod 000 "$TMP/locked"
  expect_code 5 sql "file://$TMP/locked/db" "SELECT 1" && expect_one_error_line
  chmod 755 "$TMP/locked"
fi

if ((FAILURES > 0)); then
  echo "cli_test: $FAILURES check(s) failed" >&2
  exit 1
fi
echo "cli_test: all checks passed"
