// Bank transfers over HTTP with @libsql/client, for tests/integration/serve_test.sh.
//
//   node bank_http_client.mjs setup URL ACCOUNTS
//   node bank_http_client.mjs run URLS CLIENTS TRANSFERS ACKED_FILE
//   node bank_http_client.mjs check URL ACCOUNTS ACKED_FILE
//
// run: CLIENTS clients (spread over the comma-separated URLS, i.e. over several server
// processes) each make TRANSFERS transfers, one atomic batch each (two updates and a row in the
// transfer log); the ids of the transfers the server acknowledged go to ACKED_FILE, one per line.
// A failed request is not acknowledged (the server may be killed under it). check: the total is
// unchanged, no balance is negative, and every acknowledged transfer is in the log.
import { appendFileSync, readFileSync, existsSync } from "node:fs";
import { createClient } from "@libsql/client";

const [mode, ...args] = process.argv.slice(2);
const START = 1000n;

async function setup(url, accounts) {
  const c = createClient({ url, intMode: "bigint" });
  await c.batch(
    [
      "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)",
      "CREATE TABLE transfers (id TEXT PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER)",
      {
        sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) " +
          "INSERT INTO accounts SELECT i, ? FROM n",
        args: [BigInt(accounts), START],
      },
    ],
    "write",
  );
  c.close();
}

async function run(urls, clients, transfers, ackedFile) {
  const list = urls.split(",");
  let failures = 0;
  const work = [];
  for (let k = 0; k < clients; k++) {
    const c = createClient({ url: list[k % list.length], intMode: "bigint" });
    work.push(
      (async () => {
        for (let i = 0; i < transfers; i++) {
          const id = `${process.pid}-${k}-${i}`;
          const src = BigInt(1 + ((k * 7 + i * 3) % 10));
          const dst = BigInt(1 + ((k * 5 + i * 11 + 1) % 10));
          const amount = BigInt(1 + ((k + i) % 9));
          try {
            await c.batch(
              [
                { sql: "UPDATE accounts SET balance = balance - ? WHERE id = ?", args: [amount, src] },
                { sql: "UPDATE accounts SET balance = balance + ? WHERE id = ?", args: [amount, dst] },
                { sql: "INSERT INTO transfers VALUES (?, ?, ?, ?)", args: [id, src, dst, amount] },
              ],
              "write",
            );
            appendFileSync(ackedFile, id + "\n");
          } catch (e) {
            failures++;
          }
        }
        c.close();
      })(),
    );
  }
  await Promise.all(work);
  console.log(`run: ${clients} clients x ${transfers} transfers, ${failures} failed requests`);
}

async function check(url, accounts, ackedFile) {
  const c = createClient({ url, intMode: "bigint" });
  const total = await c.execute("SELECT sum(balance) AS s, min(balance) AS m FROM accounts");
  const want = BigInt(accounts) * START;
  if (total.rows[0].s !== want) throw new Error(`total ${total.rows[0].s}, want ${want}`);
  const log = await c.execute("SELECT id FROM transfers");
  const present = new Set(log.rows.map((r) => r.id));
  const acked = existsSync(ackedFile) ? readFileSync(ackedFile, "utf8").split("\n").filter(Boolean) : [];
  const lost = acked.filter((id) => !present.has(id));
  if (lost.length) throw new Error(`${lost.length} acknowledged transfers are missing, e.g. ${lost[0]}`);
  // The log and the balances agree: replaying the log from the start gives the balances.
  const bal = new Map();
  for (let i = 1n; i <= BigInt(accounts); i++) bal.set(i, START);
  const rows = await c.execute("SELECT src, dst, amount FROM transfers");
  for (const r of rows.rows) {
    bal.set(r.src, bal.get(r.src) - r.amount);
    bal.set(r.dst, bal.get(r.dst) + r.amount);
  }
  const now = await c.execute("SELECT id, balance FROM accounts");
  for (const r of now.rows) {
    if (bal.get(r.id) !== r.balance) throw new Error(`account ${r.id}: ${r.balance}, the log says ${bal.get(r.id)}`);
  }
  console.log(`check: total ${want} kept, ${acked.length} acknowledged transfers all present, ${rows.rows.length} in the log`);
  c.close();
}

try {
  if (mode === "setup") await setup(args[0], Number(args[1]));
  else if (mode === "run") await run(args[0], Number(args[1]), Number(args[2]), args[3]);
  else if (mode === "check") await check(args[0], Number(args[1]), args[2]);
  else throw new Error("usage: setup|run|check ...");
} catch (e) {
  console.error(`bank: ${e.message ?? e}`);
  process.exit(1);
}
