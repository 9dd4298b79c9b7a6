#!/usr/bin/env bash
# End-to-end test of the `cloudlite` command against a file:// store: usage and exit codes,
# push/pull round trips, sql output (text and JSON), transactions, shell, info, ls, rm,
# --stats, and corruption/permission errors. Needs sqlite3 and python3.
set -euo pipefail

# shellcheck source=tests/integration/cli_checks.sh
source "$(dirname "$0")/cli_checks.sh"

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

echo "== issue 11.6: pull replaces only a regular file, and keeps its mode"
mkfifo "$TMP/fifo"
mkdir "$TMP/adir"
ln -s "$TMP/orig.db" "$TMP/link.db"
orig_sum=$(sha256sum <"$TMP/orig.db")
for dest in "$TMP/fifo" "$TMP/adir" "$TMP/link.db"; do
  expect_code 1 pull "$STORE/db1" "$dest" && expect_one_error_line && expect_err_contains 'will not replace'
done
[[ -p $TMP/fifo && -d $TMP/adir && -L $TMP/link.db ]] || fail "a refused pull changed its destination"
[[ $(sha256sum <"$TMP/orig.db") == "$orig_sum" ]] || fail "pull wrote through a symbolic link"
expect_err_contains 'does not follow links'
cp "$TMP/orig.db" "$TMP/private.db" && chmod 600 "$TMP/private.db"
expect_code 0 pull "$STORE/db1" "$TMP/private.db"
[[ $(stat -c %a "$TMP/private.db") == 600 ]] || fail "pull changed 0600 to $(stat -c %a "$TMP/private.db")"
(umask 027 && "$BIN" pull "$STORE/db1" "$TMP/umasked.db" >/dev/null) || fail "pull to a new file"
[[ $(stat -c %a "$TMP/umasked.db") == 640 ]] || fail "a new file ignores the umask: $(stat -c %a "$TMP/umasked.db")"

echo "== issue 11.10: push waits for a writer (exit 3), and rolls back a hot journal"
sqlite3 "$TMP/locked.db" "CREATE TABLE t(x); INSERT INTO t VALUES ('before')"
# A writer holds the lock until its stdin closes: no timing in the test.
coproc HOLDER { python3 -c '
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE"); con.execute("INSERT INTO t VALUES (1)")
print("locked", flush=True); sys.stdin.read()' "$TMP/locked.db"; }
read -r _ <&"${HOLDER[0]}"
expect_code 3 push --busy-timeout 100 "$TMP/locked.db" "$STORE/locked" && expect_one_error_line &&
  expect_err_contains 'busy-timeout'
exec {HOLDER[1]}>&-
wait "$HOLDER_PID" 2>/dev/null || true
expect_code 0 push "$TMP/locked.db" "$STORE/locked"
expect_code 1 push --busy-timeout=-5 "$TMP/locked.db" "$STORE/locked"
# A copy of a database and its journal taken mid-transaction: the journal is hot.
python3 - "$TMP" <<'PY'
import shutil, sqlite3, sys
d = sys.argv[1]
con = sqlite3.connect(d + "/writing.db", isolation_level=None)
con.execute("CREATE TABLE t(x)"); con.execute("INSERT INTO t VALUES ('committed')")
con.execute("PRAGMA cache_size=1"); con.execute("BEGIN")
con.execute("INSERT INTO t SELECT randomblob(2000) FROM (WITH RECURSIVE c(i) AS "
            "(SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<300) SELECT i FROM c)")
shutil.copy(d + "/writing.db", d + "/hot.db")
shutil.copy(d + "/writing.db-journal", d + "/hot.db-journal")
PY
expect_code 0 push "$TMP/hot.db" "$STORE/hot"
[[ -e $TMP/hot.db-journal ]] && fail "push left the hot journal in place"
expect_code 0 sql "$STORE/hot" "SELECT x FROM t" && expect_out 'x
---------
committed'

echo "== issue 11.13: Ctrl-C in an interactive shell (a real pty)"
mkdir -p "$TMP/home"
python3 - "$BIN" "$STORE/sh" "$TMP/home" <<'PY' || fail "interactive shell: see above"
import os, pty, select, sys, termios, time
binary, uri, home = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execve(binary, [binary, "shell", uri], dict(os.environ, HOME=home, TERM="dumb"))
out = b""
def until(marker):
    # Bounded: 60 s is far beyond any step here; reaching it is a hang, not slowness.
    global out
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if marker in out:
            got, out = out[: out.index(marker) + len(marker)], out[out.index(marker) + len(marker):]
            return got.decode(errors="replace")
        if select.select([fd], [], [], 0.5)[0]:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    sys.exit("shell never printed %r; got %r" % (marker, out))
def line_mode(canonical):
    # Waits until the terminal is in cooked (canonical) or raw mode: libedit reads keys in raw
    # mode, so raw means it is reading a line, and cooked again means it has returned it.
    # (Keys typed in cooked mode are echoed by the terminal, and Ctrl-C flushes them.)
    for _ in range(1200):
        if bool(termios.tcgetattr(fd)[3] & termios.ICANON) == canonical:
            return
        time.sleep(0.05)
    sys.exit("the terminal never went to %s mode" % ("cooked" if canonical else "raw"))
until(b"cloudlite> ")
line_mode(False)
os.write(fd, b"SELECT 'abandoned")          # a line being typed ...
until(b"abandoned")
os.write(fd, b"\x03")                        # ... dropped by Ctrl-C
until(b"cloudlite> ")
line_mode(False)
os.write(fd, b"SELECT 7 AS seven;\r")
got = until(b"cloudlite> ")
assert "seven" in got and "abandoned" not in got.split("\n", 1)[1], got
# A statement that never ends by itself, interrupted once it runs. A Ctrl-C that lands before
# the shell has taken the line drops the line instead: then try again (bounded).
for attempt in range(5):
    line_mode(False)
    os.write(fd, b"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c;\r")
    until(b"FROM c;")
    line_mode(True)
    os.write(fd, b"\x03")
    got = until(b"cloudlite> ")
    if "interrupted" in got:
        break
else:
    sys.exit("Ctrl-C never interrupted the running statement: %r" % got)
hist = open(home + "/.cloudlite_history").read().splitlines()
assert hist[0] == "_HiStOrY_V2_" and len(hist) == 3 + attempt, hist  # appended as we go, once each
assert hist[1] == r"SELECT\0407\040AS\040seven;", hist
line_mode(False)
os.write(fd, b"SELECT 8 AS eight;\r")
assert "eight" in until(b"cloudlite> ")
line_mode(False)
os.write(fd, b"\x04")
for _ in range(600):  # bounded: a shell that does not leave is a failure, not a hang
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    sys.exit(".quit did not end the shell")
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
PY

echo "== issue 11.14: signals and stale temporaries"
# Every ranged GET waits 3 s, so the pull is still fetching its pages (a pushed image's frames
# are read with ranged GETs) when the signal comes, right after its temporary file appears.
expect_code 0 push "$TMP/orig.db" "$STORE/sigsrc"
for sig in INT TERM HUP; do
  rm -f "$TMP"/sig.db*
  # Through python, which restores SIGINT: bash starts background commands with it ignored, and
  # cloudlite, like any program, leaves an ignored signal ignored (nohup).
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$BIN" pull "$STORE/sigsrc?faults=latency@get_range:3s" \
    "$TMP/sig.db" >/dev/null 2>"$TMP/err" &
  pid=$!
  for _ in $(seq 600); do compgen -G "$TMP/sig.db.cloudlite-tmp-*" >/dev/null && break; sleep 0.05; done
  kill -"$sig" "$pid" || true
  set +e; wait "$pid"; CODE=$?; set -e
  want=$((128 + $(kill -l "$sig")))
  [[ $CODE == "$want" ]] || fail "pull killed by SIG$sig: exit $CODE, want $want; $(cat "$TMP/err")"
  compgen -G "$TMP/sig.db*" >/dev/null && fail "SIG$sig left $(ls "$TMP"/sig.db*)"
  expect_err_contains 'stopped by signal'
done
# A temporary of a pull killed outright (nobody holds its lock) goes at the next pull to that file.
touch "$TMP/copy.db.cloudlite-tmp-0123456789ab"
expect_code 0 pull "$STORE/db1" "$TMP/copy.db"
[[ -e $TMP/copy.db.cloudlite-tmp-0123456789ab ]] && fail "an abandoned pull temporary survived"

echo "== issue 11.15: VACUUM and VACUUM INTO"
expect_code 0 sql --create "$STORE/vac" "CREATE TABLE v(b); INSERT INTO v SELECT randomblob(3000) FROM
  (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<200) SELECT i FROM c);
  DELETE FROM v WHERE rowid > 10"
expect_code 0 sql "$STORE/vac" "PRAGMA page_count" && before=$(tail -n 1 "$TMP/out")
expect_code 0 sql "$STORE/vac" "VACUUM"
expect_code 0 sql "$STORE/vac" "PRAGMA page_count" && after=$(tail -n 1 "$TMP/out")
((after < before)) || fail "VACUUM left $after pages of $before"
expect_code 1 sql "$STORE/vac" "SELECT 1; VACUUM" && expect_err_contains 'VACUUM cannot run inside'
expect_code 0 sql "$STORE/vac" "VACUUM INTO '$TMP/vac-into.db'"
[[ $(sqlite3 "$TMP/vac-into.db" "SELECT count(*) FROM v") == 10 ]] || fail "VACUUM INTO from sql"
printf '%s\n' 'VACUUM;' "VACUUM INTO '$TMP/vac-shell.db';" | "$BIN" shell "$STORE/vac" >/dev/null 2>"$TMP/err" ||
  fail "VACUUM in a piped shell: $(cat "$TMP/err")"
[[ $(sqlite3 "$TMP/vac-shell.db" "PRAGMA integrity_check") == ok ]] || fail "VACUUM INTO from shell"
if [[ -n ${CLOUDLITE_EXT:-} ]]; then
  sqlite3 -cmd ".load ${CLOUDLITE_EXT%.so}" -cmd ".open 'file:vac?vfs=cloudlite&store=$STORE'" ":memory:" \
    "VACUUM INTO '$TMP/vac-ext.db'" 2>"$TMP/err" || fail "VACUUM INTO in the extension: $(cat "$TMP/err")"
  [[ $(sqlite3 "$TMP/vac-ext.db" "SELECT count(*) FROM v") == 10 ]] || fail "VACUUM INTO from the extension"
fi

echo "== issue 11.16: empty files, long names, ls order"
: >"$TMP/empty.db"
expect_code 0 push "$TMP/empty.db" "$STORE/empty"
expect_code 0 sql "$STORE/empty" "SELECT count(*) AS n FROM sqlite_schema" && expect_out 'n
-
0'
expect_code 0 pull "$STORE/empty" "$TMP/empty-copy.db"
[[ -f $TMP/empty-copy.db && ! -s $TMP/empty-copy.db ]] || fail "an empty database pulls as $(stat -c %s "$TMP/empty-copy.db") bytes"
long=$(printf 'n%.0s' $(seq 300))
expect_code 1 push "$TMP/orig.db" "file://$TMP/$long/db" && expect_one_error_line
expect_code 1 sql "file://$TMP/$long/db" "SELECT 1" && expect_one_error_line
expect_code 1 pull "$STORE/db1" "$TMP/$long.db" && expect_one_error_line
expect_code 1 push "$TMP/$long.db" "$STORE/x"
for name in a-b a b; do expect_code 0 sql --create "file://$TMP/order/$name" "CREATE TABLE t(x)"; done
expect_code 0 ls "file://$TMP/order" && expect_out 'a
a-b
b'
# More databases than ls opens at once (8), some removed: listed by name, the removed left out.
many="file://$TMP/many"
for n in 11 07 03 10 01 05 09 02 12 04 08 06; do
  expect_code 0 sql --create "$many/db$n" "CREATE TABLE t(x)"
done
for n in 02 09 12; do expect_code 0 rm "$many/db$n"; done
expect_code 0 ls "$many" && expect_out "$(printf 'db%s\n' 01 03 04 05 06 07 08 10 11)"
expect_code 0 ls --json "$many" &&
  expect_out '["db01","db03","db04","db05","db06","db07","db08","db10","db11"]'

echo "== issue 11.1: rm ends the database; the name starts again as a new one"
INC="file://$TMP/inc"
expect_code 0 sql --create "$INC/d" "CREATE TABLE t(v); INSERT INTO t VALUES ('old')"
expect_code 0 sql "$INC/d" "INSERT INTO t VALUES ('old2')"
expect_code 0 rm "$INC/d"
expect_code 2 info "$INC/d" && expect_one_error_line
expect_code 2 sql "$INC/d" "SELECT * FROM t" && expect_one_error_line
expect_code 0 ls "$INC" && expect_empty_stdout
expect_code 0 sql --create "$INC/d" "CREATE TABLE t(v); INSERT INTO t VALUES ('new')"
expect_code 0 sql "$INC/d" "SELECT v FROM t" && expect_out 'v
---
new'
expect_code 0 ls "$INC" && expect_out 'd'
expect_code 0 info --json "$INC/d"
grep -q '"version":4' "$TMP/out" || fail "the new database starts after the old one's END record: $(cat "$TMP/out")"
grep -q '"commits":1' "$TMP/out" || fail "the new database has made one commit: $(cat "$TMP/out")"

echo "== issue 11.2: a hole in the log is exit 4 naming the missing record"
expect_code 0 sql --create "$INC/h" "CREATE TABLE t(v)"
for i in 1 2 3; do expect_code 0 sql "$INC/h" "INSERT INTO t VALUES ($i)"; done
rm "$TMP/inc/h%2F/log%2F/00000000000000000002"
for cmd in info "sql $INC/h" pull; do
  case $cmd in
    info) expect_code 4 info "$INC/h" ;;
    pull) expect_code 4 pull "$INC/h" "$TMP/h.db" ;;
    *) expect_code 4 sql "$INC/h" "SELECT count(*) FROM t" ;;
  esac
  expect_one_error_line && expect_err_contains "h/log/00000000000000000002"
done
[[ ! -e $TMP/h.db ]] || fail "pull of a database with a hole wrote $TMP/h.db"

echo "== migrate: a format-1 database is read, refused for writes, and upgraded"
cp -r "$(dirname "$0")/../data/format1/store" "$TMP/f1"
expect_code 0 sql "file://$TMP/f1/db" "SELECT count(*) AS n FROM t" && expect_out '  n
---
191'
expect_code 1 sql "file://$TMP/f1/db" "INSERT INTO t VALUES (5000, 'x')" && expect_err_contains "cloudlite migrate"
expect_code 0 migrate "file://$TMP/f1/db"
expect_code 0 sql "file://$TMP/f1/db" "INSERT INTO t VALUES (5000, 'x'); SELECT count(*) AS n FROM t" && expect_out '  n
---
192'
expect_code 0 migrate "file://$TMP/f1/db"
expect_code 0 migrate --help

# changes: one line per row change, what cannot be carried said so, --since, --json, errors.
FEED="$STORE/feed"
expect_code 0 sql --create "$FEED" "CREATE TABLE t (k INTEGER PRIMARY KEY, v); CREATE TABLE logs (m)"
expect_code 0 sql "$FEED" "INSERT INTO t VALUES (1, 'a'); INSERT INTO logs VALUES ('x')"
expect_code 0 sql "$FEED" "UPDATE t SET v = 'b' WHERE k = 1; DELETE FROM t WHERE k = 1"
expect_code 0 changes --since 1 "$FEED"
sed -E 's/^([0-9]+) [^ ]+ /\1 /' "$TMP/out" >"$TMP/feed"
if ! diff -u <(printf '%s\n' \
  '2 unkeyed logs: rows not carried: the table has no PRIMARY KEY that cannot hold NULL' \
  '2 insert t (1) 0=1 1="a"' '3 delete t (1)') "$TMP/feed"; then
  fail "changes --since 1: unexpected lines"
fi
expect_code 0 changes --json --since 2 "$FEED"
python3 - "$TMP/out" <<'PY' || fail "changes --json"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [(l["version"], l["op"], l.get("key")) for l in lines] == [(3, "delete", [1])], lines
PY
expect_code 1 changes --since 99 "$FEED"
expect_code 2 changes "$STORE/no-such-db"

finish cli_test
