#!/usr/bin/env bash
# Sets up, builds, and shows cloudlite on the embedded default store, a local directory: the
# CLI, the C++ library and the sqlite3 extension working on one database, with the store
# requests each step made. Everything goes to a temporary directory removed on exit, so the
# caller's tree is left as it was; DEMO_STORE=DIR puts the store in DIR instead and keeps it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
bin=$root/build/cloudlite
work=$(mktemp -d "${TMPDIR:-/tmp}/cloudlite-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
store=${DEMO_STORE:-$work/store}
rm -rf "$store"
mkdir -p "$store"
copy=$work/shop-copy.db
db="file://$store/shop"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "cloudlite demo: a database whose only durable state is the directory $store"
step "$bin" sql --create --stats "$db" \
  "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL);
   INSERT INTO items (name, qty) VALUES ('widget', 10), ('gadget', 3), ('doohickey', 7);"
step "$bin" sql --stats "$db" "UPDATE items SET qty = qty - 1 WHERE name = 'widget';
   SELECT name, qty FROM items ORDER BY name;"
step "$root/build/example_todo" "file://$store/todo" add "write the README"
step "$root/build/example_todo" "file://$store/todo" add "ship it"
step "$root/build/example_todo" "file://$store/todo" done 1
printf '\n\033[1m$ sqlite3 (with .load libcloudlite)\033[0m\n'
sqlite3 <<SQL
.load $root/build/libcloudlite
.open 'file:shop?vfs=cloudlite&store=file://$store'
.mode box
INSERT INTO items (name, qty) VALUES ('sprocket', 42);
SELECT name, qty FROM items ORDER BY qty DESC;
SQL
step "$bin" info "$db"
step "$bin" ls "file://$store"
step "$bin" pull "$db" "$copy"
step sqlite3 "$copy" "SELECT count(*) AS items FROM items"
echo
echo "Every commit above is one object under $store/shop; open it from as many processes as you like."
[[ -n ${DEMO_STORE:-} ]] || echo "(The demo's directory $work is removed now; DEMO_STORE=DIR keeps the store.)"
