// @tursodatabase/serverless (Hrana 3: /v3/pipeline and /v3/cursor) against `cloudlite serve`.
// Usage: node serverless_client_test.mjs URL   (URL like http://127.0.0.1:PORT/dbname/)
import assert from "node:assert/strict";
import { connect } from "@tursodatabase/serverless";

const url = process.argv[2];
if (!url) {
  console.error("usage: node serverless_client_test.mjs URL");
  process.exit(2);
}

const checks = [];
const check = (name, fn) => checks.push({ name, fn });
const conn = connect({ url });

check("exec and prepared statements", async () => {
  await conn.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)");
  await conn.run("INSERT INTO users (email) VALUES (?)", "a@example.com");
  const stmt = await conn.prepare("SELECT id, email FROM users WHERE email = ?");
  const row = await stmt.get(["a@example.com"]);
  assert.equal(row.email, "a@example.com");
  const rows = await stmt.all(["nobody@example.com"]);
  assert.equal(rows.length, 0);
});

check("batch with a mode is atomic", async () => {
  await conn.batch([
    "INSERT INTO users (email) VALUES ('b@example.com')",
    "INSERT INTO users (email) VALUES ('c@example.com')",
  ], "write");
  await assert.rejects(
    conn.batch([
      "INSERT INTO users (email) VALUES ('d@example.com')",
      "INSERT INTO users (email) VALUES ('a@example.com')",  // UNIQUE violation
    ], "write"),
  );
  const rows = await conn.all("SELECT email FROM users ORDER BY email");
  assert.deepEqual(rows.map((r) => r.email), ["a@example.com", "b@example.com", "c@example.com"]);
});

check("a large result streams through /v3/cursor", async () => {
  await conn.exec("CREATE TABLE big (i INTEGER PRIMARY KEY, pad TEXT)");
  await conn.run("INSERT INTO big SELECT value, hex(randomblob(50)) FROM generate_series(1, 5000)").catch(
    async () => {
      // generate_series is not in every SQLite build: a recursive CTE does the same.
      await conn.run(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000) " +
          "INSERT INTO big SELECT i, hex(randomblob(50)) FROM s",
      );
    },
  );
  let n = 0;
  const all = await conn.prepare("SELECT i FROM big ORDER BY i");
  for await (const row of all.iterate([])) {
    n++;
    assert.equal(Number(row.i), n);
  }
  assert.equal(n, 5000);
});

check("transaction callback commits", async () => {
  await conn.transaction(async () => {
    await conn.run("INSERT INTO users (email) VALUES (?)", "tx@example.com");
  })();
  const row = await conn.get("SELECT count(*) AS n FROM users WHERE email = 'tx@example.com'");
  assert.equal(Number(row.n), 1);
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
await conn.close?.();
console.log(`${checks.length - failed}/${checks.length} passed`);
process.exit(failed ? 1 : 0);
