#!/usr/bin/env bash
# End to end on every store there is: a real database (100k rows, several tables and indexes)
# is pushed, queried and written through the CLI (the C++ library), the sqlite3 shell and
# Python (the loadable extension); the same writes go to a plain local copy; pulling it back
# must give the same `.dump` as that copy. Runs on a temporary file:// store, and also on
# s3:// and dynamodb:// when CLOUDLITE_TEST_S3_URI / CLOUDLITE_TEST_DYNAMODB_URI name a test
# server (scripts/test.sh starts them).
set -euo pipefail
bin=${CLOUDLITE_BIN:?set by ctest}
ext=${CLOUDLITE_EXT:?set by ctest}
ext_noext=${ext%.so}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL ($store): $*" >&2; exit 1; }
original=$work/original.db

echo "-- building a 100k-row database"
sqlite3 "$original" <<'SQL'
PRAGMA journal_mode=DELETE;
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT NOT NULL, price REAL NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers,
                     product_id INTEGER NOT NULL REFERENCES products, qty INTEGER NOT NULL,
                     note BLOB);
CREATE INDEX orders_by_customer ON orders (customer_id);
CREATE INDEX orders_by_product ON orders (product_id, qty);
CREATE UNIQUE INDEX customers_by_name ON customers (name);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO customers SELECT i, 'customer ' || i, 'city ' || (i % 97) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
INSERT INTO products SELECT i, 'product ' || i, round(i * 1.37, 2) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO orders SELECT i, 1 + (i * 7919) % 5000, 1 + (i * 104729) % 500, 1 + i % 9,
                          CASE WHEN i % 10 = 0 THEN randomblob(16) END FROM n;
SQL

# Runs the whole scenario on one store URI (the body is not indented: it holds heredocs).
run_on() {
store=$1
db="$store/shop"
ref=$work/reference-$RANDOM.db
cp "$original" "$ref"
echo "== $store"
echo "-- push"
"$bin" push "$ref" "$db" >/dev/null

# Runs a query on the reference with sqlite3 and on cloudlite through $1 ("cli" | "sqlite3" |
# "python"); the outputs must match.
query_both() {
  local via=$1 sql=$2 want got
  want=$(sqlite3 -json "$ref" "$sql")
  case $via in
    cli) got=$("$bin" sql --json "$db" "$sql") ;;
    sqlite3) got=$(sqlite3 -json -cmd ".load $ext_noext" \
                     -cmd ".open 'file:shop?vfs=cloudlite&store=$store'" ":memory:" "$sql" ) ;;
    python) got=$(/usr/bin/python3 - "$ext_noext" "$store" "$sql" <<'PY'
import json, sqlite3, sys
ext, store, sql = sys.argv[1:]
boot = sqlite3.connect(":memory:")
boot.enable_load_extension(True)
boot.load_extension(ext)
con = sqlite3.connect(f"file:shop?vfs=cloudlite&store={store}", uri=True)
cur = con.execute(sql)
cols = [d[0] for d in cur.description]
print(json.dumps([dict(zip(cols, r)) for r in cur.fetchall()], separators=(",", ":")))
PY
) ;;
  esac
  # Compare as JSON values (the writers differ in whitespace).
  /usr/bin/python3 -c 'import json,sys; a=json.loads(sys.argv[1] or "[]"); b=json.loads(sys.argv[2] or "[]"); sys.exit(0 if a==b else 1)' \
    "$want" "$got" || fail "$via: '$sql' gave $got, want $want"
}

for via in cli sqlite3 python; do
  echo "-- queries through $via"
  query_both $via "SELECT count(*) AS n, sum(qty) AS q FROM orders"
  query_both $via "SELECT c.city, count(*) AS n FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.city ORDER BY n DESC, c.city LIMIT 5"
  query_both $via "SELECT id, qty FROM orders WHERE product_id = 42 AND qty > 6 ORDER BY id LIMIT 10"
  query_both $via "SELECT name FROM customers WHERE name = 'customer 4321'"
done

echo "-- writes through each front-end, mirrored on the reference"
w1="INSERT INTO customers (name, city) VALUES ('cli customer', 'Oslo'); UPDATE orders SET qty = qty + 1 WHERE customer_id = 17;"
"$bin" sql "$db" "$w1" >/dev/null
sqlite3 "$ref" "$w1"

w2="DELETE FROM orders WHERE product_id = 99; CREATE INDEX customers_by_city ON customers (city);"
sqlite3 -cmd ".load $ext_noext" -cmd ".open 'file:shop?vfs=cloudlite&store=$store'" ":memory:" "$w2"
sqlite3 "$ref" "$w2"

w3="INSERT INTO products (title, price) VALUES ('python product', 9.5)"
/usr/bin/python3 - "$ext_noext" "$store" "$w3" <<'PY'
import sqlite3, sys
ext, store, sql = sys.argv[1:]
boot = sqlite3.connect(":memory:")
boot.enable_load_extension(True)
boot.load_extension(ext)
con = sqlite3.connect(f"file:shop?vfs=cloudlite&store={store}", uri=True)
with con:
    con.execute(sql)
con.close()
PY
sqlite3 "$ref" "$w3"

echo "-- pull and compare"
pulled=$work/pulled-$RANDOM.db
"$bin" pull "$db" "$pulled" >/dev/null
[[ $(sqlite3 "$pulled" "PRAGMA integrity_check") == ok ]] || fail "pulled copy fails integrity_check"
diff <(sqlite3 "$ref" .dump) <(sqlite3 "$pulled" .dump) >/dev/null || fail "pulled .dump differs from the reference"
sqlite3 -cmd ".load $ext_noext" -cmd ".open 'file:shop?vfs=cloudlite&store=$store'" ":memory:" \
  "PRAGMA integrity_check" | grep -qx ok || fail "integrity_check through the extension"
}

stores=("file://$work/store")
suffix="e2e-$(date +%s)-$RANDOM"
if [[ -n "${CLOUDLITE_TEST_S3_URI:-}" ]]; then stores+=("${CLOUDLITE_TEST_S3_URI%/}/$suffix"); fi
if [[ -n "${CLOUDLITE_TEST_DYNAMODB_URI:-}" ]]; then
  stores+=("${CLOUDLITE_TEST_DYNAMODB_URI%/}/$suffix")
fi
for s in "${stores[@]}"; do
  run_on "$s"
  if [[ $s != file://* ]]; then "$bin" rm "$s/shop" >/dev/null; fi
done
echo "PASS"
