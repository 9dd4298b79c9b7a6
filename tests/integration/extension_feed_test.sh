#!/usr/bin/env bash
# The change feed of commits made by a user's sqlite3 shell with the extension loaded (the plain
# VFS; src/vfs/row_feed.h): the extension's init hooks the connection that loads it and, through
# sqlite3_auto_extension, the one `.open` makes. `cloudlite changes` then reports exactly the
# committed rows, and the feed applied onto an empty copy reproduces the database. Needs sqlite3
# and python3.
set -euo pipefail

# shellcheck source=tests/integration/cli_checks.sh
source "$(dirname "$0")/cli_checks.sh"
EXT=${CLOUDLITE_EXT:?set by ctest}
DB="$STORE/shop"

shell() {
  sqlite3 -bail -cmd ".load ${EXT%.so}" -cmd ".open 'file:shop?vfs=cloudlite&store=$STORE'" \
    ":memory:" "$@"
}

# Version 1: the schema (DDL: its rows are not recorded, and the feed says so).
shell <<'SQL'
BEGIN;
CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL);
CREATE TABLE stock (shop TEXT NOT NULL, item INTEGER NOT NULL, n INTEGER,
                    PRIMARY KEY (shop, item)) WITHOUT ROWID;
CREATE TABLE note (text TEXT);
COMMIT;
SQL
# Versions 2..: autocommit statements, a transaction with a failing statement and a savepoint
# rolled back, a rowid change, INSERT OR REPLACE, WITHOUT ROWID key changes, an unkeyed table.
shell <<'SQL'
INSERT INTO item VALUES (1, 'pen', 1.5), (2, 'ink', 4.0), (3, 'pad', 2.25);
UPDATE item SET price = 1.75 WHERE id = 1;
DELETE FROM item WHERE id = 3;
UPDATE item SET id = 20 WHERE id = 2;
INSERT OR REPLACE INTO item VALUES (1, 'pen', 2.0);
INSERT INTO stock VALUES ('north', 1, 10), ('south', 20, 5);
UPDATE stock SET shop = 'east' WHERE shop = 'south';
INSERT INTO note VALUES ('hello');
SQL
set +e
shell <<'SQL' 2>"$TMP/shell.err"
.bail off
BEGIN;
INSERT INTO item VALUES (4, 'cup', 3.0);
INSERT INTO item VALUES (5, 'mug', 3.5), (4, 'dup', 0);
SAVEPOINT s;
DELETE FROM item;
ROLLBACK TO s;
RELEASE s;
UPDATE stock SET n = n - 1 WHERE shop = 'north';
COMMIT;
SQL
set -e
grep -q "UNIQUE constraint failed" "$TMP/shell.err" || fail "the failing INSERT: $(cat "$TMP/shell.err")"

expect_code 0 changes "$DB" --since 0
cat >"$TMP/want" <<'TXT'
1 schema
1 not-recorded
2 insert item (1) 0=1 1="pen" 2=1.5
2 insert item (2) 0=2 1="ink" 2=4.0
2 insert item (3) 0=3 1="pad" 2=2.25
3 update item (1) 2=1.75
4 delete item (3)
5 insert item (20) 0=20 1="ink" 2=4.0
5 delete item (2)
6 update item (1) 2=2.0
7 insert stock ("north", 1) 0="north" 1=1 2=10
7 insert stock ("south", 20) 0="south" 1=20 2=5
8 insert stock ("east", 20) 0="east" 1=20 2=5
8 delete stock ("south", 20)
9 unkeyed note
10 insert item (4) 0=4 1="cup" 2=3.0
10 update stock ("north", 1) 2=9
TXT
# Version, then what follows the time (notes cut to their kind).
awk '{ $2 = ""; sub(/:.*/, ""); print }' "$TMP/out" | sed 's/  / /' | sort >"$TMP/got"
sort "$TMP/want" | diff -u - "$TMP/got" || fail "changes differ from the committed rows"

# The feed applied onto an empty copy with the same schema gives the database's rows.
expect_code 0 changes "$DB" --since 1 --json
cp "$TMP/out" "$TMP/feed.json"
expect_code 0 pull "$DB" "$TMP/pulled.db"
python3 - "$TMP/feed.json" "$TMP/pulled.db" <<'PY' || fail "the replayed feed differs from the database"
import json, sqlite3, sys
copy = sqlite3.connect(":memory:")
src = sqlite3.connect(sys.argv[2])
for (sql,) in src.execute("SELECT sql FROM sqlite_schema WHERE type = 'table'"):
    copy.execute(sql)
for line in open(sys.argv[1]):
    c = json.loads(line)
    if c["op"] == "unkeyed":
        continue
    cols = [r[1] for r in copy.execute(f"PRAGMA table_info({c['table']})")]
    keys = [r[1] for r in sorted(copy.execute(f"PRAGMA table_info({c['table']})"), key=lambda r: r[5]) if r[5]]
    where = " AND ".join(f"{k} = ?" for k in keys)
    vals = {cols[int(i)]: v for i, v in c.get("values", {}).items()}
    if c["op"] == "insert":
        copy.execute(f"INSERT INTO {c['table']} ({','.join(vals)}) VALUES ({','.join('?' * len(vals))})", list(vals.values()))
    elif c["op"] == "update":
        copy.execute(f"UPDATE {c['table']} SET {','.join(k + ' = ?' for k in vals)} WHERE {where}", list(vals.values()) + c["key"])
    elif c["op"] == "delete":
        copy.execute(f"DELETE FROM {c['table']} WHERE {where}", c["key"])
    else:
        raise SystemExit(f"unexpected {c}")
    assert copy.total_changes, c
for table, order in (("item", "id"), ("stock", "shop, item")):
    want = src.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    got = copy.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    assert want == got, (table, want, got)
PY

finish extension_feed
