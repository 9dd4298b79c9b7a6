// @libsql/client (Hrana 2 over HTTP) against `cloudlite serve`, unchanged but for the URL.
// Usage: node libsql_client_test.mjs URL   (URL like http://127.0.0.1:PORT/dbname/)
// Exits 0 when every check passes; prints the first failure and exits 1 otherwise.
import assert from "node:assert/strict";
import { createClient, LibsqlError } from "@libsql/client";

const url = process.argv[2];
if (!url) {
  console.error("usage: node libsql_client_test.mjs URL");
  process.exit(2);
}

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

async function expectError(promise, code) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof LibsqlError, `expected LibsqlError, got ${e}`);
    if (code) assert.equal(e.code, code, `code of: ${e.message}`);
    return e;
  }
  assert.fail(`expected an error${code ? ` with code ${code}` : ""}`);
}

const client = createClient({ url });
const big = createClient({ url, intMode: "bigint" });

check("execute: create, insert with args, select", async () => {
  await client.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v)");
  const ins = await client.execute({ sql: "INSERT INTO kv VALUES (?, ?)", args: ["a", "one"] });
  assert.equal(ins.rowsAffected, 1);
  assert.equal(typeof ins.lastInsertRowid, "bigint");
  const named = await client.execute({
    sql: "INSERT INTO kv VALUES (:k, $v)",
    args: { k: "b", v: "two" },
  });
  assert.equal(named.rowsAffected, 1);
  const rs = await client.execute("SELECT k, v FROM kv ORDER BY k");
  assert.deepEqual(rs.columns, ["k", "v"]);
  assert.equal(rs.rows.length, 2);
  assert.equal(rs.rows[0].k, "a");
  assert.equal(rs.rows[1][1], "two");
});

check("values: null, float, blob, big integer, JS number bound as REAL", async () => {
  await client.execute("CREATE TABLE vals (id INTEGER PRIMARY KEY, x)");
  const blob = new Uint8Array([0, 1, 2, 255, 254]);
  await client.execute({ sql: "INSERT INTO vals (id, x) VALUES (1, ?)", args: [null] });
  await client.execute({ sql: "INSERT INTO vals (id, x) VALUES (2, ?)", args: [2.5] });
  await client.execute({ sql: "INSERT INTO vals (id, x) VALUES (3, ?)", args: [blob] });
  await client.execute({ sql: "INSERT INTO vals (id, x) VALUES (4, ?)", args: [9007199254740993n] });
  await client.execute({ sql: "INSERT INTO vals (id, x) VALUES (5, ?)", args: [42] });
  const rs = await big.execute("SELECT id, x, typeof(x) AS t FROM vals ORDER BY id");
  assert.equal(rs.rows[0].x, null);
  assert.equal(rs.rows[1].x, 2.5);
  assert.deepEqual(new Uint8Array(rs.rows[2].x), blob);
  assert.equal(rs.rows[3].x, 9007199254740993n);
  assert.equal(rs.rows[4].t, "real");  // what sqld does with JS numbers
  const empty = await client.execute("SELECT x'' AS e, '' AS s");
  assert.equal(new Uint8Array(empty.rows[0].e).length, 0);
  assert.equal(empty.rows[0].s, "");
});

check("batch: atomic, and rolled back as a whole on error", async () => {
  await client.batch(
    [
      "CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL CHECK (bal >= 0))",
      { sql: "INSERT INTO acct VALUES (?, ?)", args: [1n, 100n] },
      { sql: "INSERT INTO acct VALUES (?, ?)", args: [2n, 0n] },
    ],
    "write",
  );
  await expectError(
    client.batch(
      [
        "UPDATE acct SET bal = bal + 50 WHERE id = 2",
        "UPDATE acct SET bal = bal - 500 WHERE id = 1",  // violates the CHECK
      ],
      "write",
    ),
    "SQLITE_CONSTRAINT",
  );
  const rs = await client.execute("SELECT bal FROM acct ORDER BY id");
  assert.deepEqual(rs.rows.map((r) => Number(r.bal)), [100, 0]);
});

check("executeMultiple and migrate", async () => {
  await client.executeMultiple("CREATE TABLE m1 (x); CREATE TABLE m2 (y); INSERT INTO m1 VALUES (7);");
  await client.migrate(["CREATE TABLE m3 (z)", "INSERT INTO m3 VALUES (8)"]);
  const rs = await client.execute("SELECT (SELECT x FROM m1) AS a, (SELECT z FROM m3) AS b");
  assert.equal(Number(rs.rows[0].a), 7);
  assert.equal(Number(rs.rows[0].b), 8);
});

check("interactive write transaction: commit", async () => {
  const tx = await client.transaction("write");
  await tx.execute({ sql: "INSERT INTO kv VALUES (?, ?)", args: ["tx1", "x"] });
  const inside = await tx.execute("SELECT count(*) AS n FROM kv WHERE k = 'tx1'");
  assert.equal(Number(inside.rows[0].n), 1);
  await tx.commit();
  const rs = await client.execute("SELECT v FROM kv WHERE k = 'tx1'");
  assert.equal(rs.rows[0].v, "x");
});

check("interactive write transaction: rollback", async () => {
  const tx = await client.transaction("write");
  await tx.execute("INSERT INTO kv VALUES ('tx2', 'y')");
  await tx.rollback();
  const rs = await client.execute("SELECT count(*) AS n FROM kv WHERE k = 'tx2'");
  assert.equal(Number(rs.rows[0].n), 0);
});

check("interactive transaction: a statement error keeps the transaction usable", async () => {
  const tx = await client.transaction("write");
  await expectError(tx.execute("INSERT INTO kv VALUES ('a', 'dup')"), "SQLITE_CONSTRAINT");
  await tx.execute("INSERT INTO kv VALUES ('tx3', 'z')");
  await tx.commit();
  const rs = await client.execute("SELECT v FROM kv WHERE k = 'tx3'");
  assert.equal(rs.rows[0].v, "z");
});

check("read transaction: reads, and refuses writes", async () => {
  const tx = await client.transaction("read");
  const rs = await tx.execute("SELECT count(*) AS n FROM kv");
  assert.ok(Number(rs.rows[0].n) >= 3);
  await expectError(tx.execute("INSERT INTO kv VALUES ('ro', 'no')"));
  await tx.close();
  const after = await client.execute("SELECT count(*) AS n FROM kv WHERE k = 'ro'");
  assert.equal(Number(after.rows[0].n), 0);
});

check("deferred transaction with a batch inside", async () => {
  const tx = await client.transaction("deferred");
  await tx.batch(["INSERT INTO kv VALUES ('d1', 1)", "INSERT INTO kv VALUES ('d2', 2)"]);
  await tx.commit();
  const rs = await client.execute("SELECT count(*) AS n FROM kv WHERE k IN ('d1', 'd2')");
  assert.equal(Number(rs.rows[0].n), 2);
});

check("errors carry codes", async () => {
  await expectError(client.execute("SELEC nonsense"), "SQLITE_ERROR");
  await expectError(client.execute("SELECT * FROM no_such_table"), "SQLITE_ERROR");
  await expectError(client.execute("INSERT INTO kv VALUES ('a', 'dup')"), "SQLITE_CONSTRAINT");
});

check("statements that would leave the database are refused", async () => {
  await expectError(client.execute("ATTACH DATABASE '/tmp/x.db' AS x"));
  await expectError(client.execute("SELECT load_extension('/tmp/x')"));
});

let failed = 0;
for (const { name, fn } of checks) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}
client.close();
big.close();
console.log(`${checks.length - failed}/${checks.length} passed`);
process.exit(failed ? 1 : 0);
