#!/usr/bin/python3
"""Two processes increment one counter 500 times each through the sqlite3 extension (Python's
sqlite3 module, the plain VFS): a lost commit race surfaces as "database is locked" and the
writer retries; the counter must end at exactly 1000, and integrity_check must pass."""
import multiprocessing
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time

EXT = os.environ["CLOUDLITE_EXT"].removesuffix(".so")
PER_PROCESS = 500


def connect(store):
    boot = sqlite3.connect(":memory:")
    boot.enable_load_extension(True)
    boot.load_extension(EXT)
    return sqlite3.connect(f"file:counter?vfs=cloudlite&store={store}", uri=True,
                           isolation_level=None)


def worker(store, results):
    con = connect(store)
    retries = 0
    for _ in range(PER_PROCESS):
        while True:
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
                con.execute("COMMIT")
                break
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e):
                    raise
                if con.in_transaction:
                    con.execute("ROLLBACK")
                retries += 1
                time.sleep(random.random() * 0.005)
    results.put(retries)


def main():
    work = tempfile.mkdtemp()
    try:
        store = f"file://{work}"
        con = connect(store)
        con.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
        con.execute("INSERT INTO counter VALUES (1, 0)")
        con.close()
        results = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=worker, args=(store, results)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=600)
            if p.exitcode != 0:
                sys.exit(f"FAIL: a writer exited with {p.exitcode}")
        retries = [results.get() for _ in procs]
        con = connect(store)
        n = con.execute("SELECT n FROM counter").fetchone()[0]
        check = con.execute("PRAGMA integrity_check").fetchone()[0]
        print(f"counter={n} retries={retries} integrity={check}")
        if n != 2 * PER_PROCESS or check != "ok":
            sys.exit("FAIL")
        print("PASS")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
