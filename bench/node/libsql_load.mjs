// The @libsql/client run of bench/serve_bench.sh: CLIENTS concurrent async clients, each its own
// createClient() looping `execute` of a single-row INSERT with one argument for SECONDS (closed
// loop, like cloudlite_http_load). Prints one JSON line in http_load's shape.
//
//   node libsql_load.mjs URL CLIENTS SECONDS
//
// URL is a database URL with its trailing slash (http://127.0.0.1:8080/bench/). A request that
// throws counts as a failure; the first error is printed on stderr.
import { createClient } from "@libsql/client";

const [url, clientsArg, secondsArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const seconds = Number(secondsArg);
if (!url || !(clients > 0) || !(seconds > 0)) {
  console.error("usage: node libsql_load.mjs URL CLIENTS SECONDS");
  process.exit(2);
}

const latenciesMs = [];
let failures = 0;
let next = 0;
let firstError = null;
const start = performance.now();
const end = start + seconds * 1000;

async function runClient() {
  const client = createClient({ url });
  while (performance.now() < end) {
    const t0 = performance.now();
    try {
      await client.execute({
        sql: "INSERT INTO t (v) VALUES (?)",
        args: [`row ${next++} of the benchmark`],
      });
      latenciesMs.push(performance.now() - t0);
    } catch (e) {
      failures++;
      firstError ??= e;
    }
  }
  client.close();
}

await Promise.all(Array.from({ length: clients }, runClient));
const elapsed = (performance.now() - start) / 1000;
latenciesMs.sort((a, b) => a - b);
const pct = (p) =>
  latenciesMs.length ? latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(p * latenciesMs.length))] : 0;
if (firstError) console.error(`first failure: ${firstError.code ?? ""} ${firstError.message}`);
console.log(
  JSON.stringify({
    requests: latenciesMs.length + failures,
    failures,
    seconds: elapsed,
    requests_per_s: (latenciesMs.length + failures) / elapsed,
    p50_ms: pct(0.5),
    p90_ms: pct(0.9),
    p99_ms: pct(0.99),
    max_ms: latenciesMs.length ? latenciesMs[latenciesMs.length - 1] : 0,
  }),
);
