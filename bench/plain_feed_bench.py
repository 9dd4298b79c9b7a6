#!/usr/bin/python3
"""The cost of the plain VFS's change feed (src/vfs/row_feed.h): autocommit single-row INSERTs
through Python's sqlite3 with the extension, change_feed=on vs change_feed=off, in interleaved
rounds of the same run. Prints the median time per commit and the log bytes per commit of each.

  /usr/bin/python3 bench/plain_feed_bench.py BUILD/libcloudlite.so [--store mem|file] [--rows 300] [--rounds 5]
      [--bulk]   # one BEGIN ... --rows INSERTs ... COMMIT per round instead of autocommit
"""
import argparse, os, pathlib, sqlite3, statistics, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("ext")
ap.add_argument("--store", choices=["mem", "file"], default="file")
ap.add_argument("--rows", type=int, default=300)
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--bulk", action="store_true")
args = ap.parse_args()

boot = sqlite3.connect(":memory:")
boot.enable_load_extension(True)
boot.load_extension(args.ext.removesuffix(".so"))
tmp = tempfile.mkdtemp()
store = f"file://{tmp}" if args.store == "file" else f"mem://feedbench-{os.getpid()}"
times = {"on": [], "off": []}
bytes_per = {"on": [], "off": []}
for r in range(args.rounds):
    for mode in ("on", "off") if r % 2 == 0 else ("off", "on"):
        name = f"b{mode}{r}"
        db = sqlite3.connect(f"file:{name}?vfs=cloudlite&store={store}&change_feed={mode}",
                             uri=True, isolation_level=None)
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v REAL)")
        logs = pathlib.Path(tmp, f"{name}%2F", "log%2F")
        before = sum(p.stat().st_size for p in logs.iterdir()) if args.store == "file" else 0
        if args.bulk:
            started = time.perf_counter()
            db.execute("BEGIN")
            db.executemany("INSERT INTO t VALUES (?, ?, ?)",
                           ((i, "x" * 80, i * 1.5) for i in range(args.rows)))
            db.execute("COMMIT")
            times[mode].append(time.perf_counter() - started)
        for i in range(0 if args.bulk else args.rows):
            started = time.perf_counter()
            db.execute("INSERT INTO t VALUES (?, ?, ?)", (i, "x" * 80, i * 1.5))
            times[mode].append(time.perf_counter() - started)
        if args.store == "file":
            after = sum(p.stat().st_size for p in logs.iterdir())
            bytes_per[mode].append((after - before) / (1 if args.bulk else args.rows))
        db.close()
for mode in ("on", "off"):
    b = f", {statistics.mean(bytes_per[mode]):.0f} log bytes/commit" if bytes_per[mode] else ""
    print(f"change_feed={mode}: median {statistics.median(times[mode]) * 1e6:.0f} us/commit, "
          f"max {max(times[mode]) * 1e6:.0f} us{b}")
print(f"ratio on/off (median): "
      f"{statistics.median(times['on']) / statistics.median(times['off']):.2f}")
