#!/usr/bin/python3
"""What the sqlite3 extension (Python's sqlite3 module, the plain VFS) says when things go wrong
(issue 11, items 3, 5, 8 and 11): a damaged first segment is "malformed" and PRAGMA
cloudlite_last_error names its key; immutable=1 and malformed parameters fail the open; a write
transaction spanning two cloudlite databases is refused and commits neither."""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

EXT = os.environ["CLOUDLITE_EXT"].removesuffix(".so")
CLI = os.environ["CLOUDLITE_BIN"]


def load_extension():
    boot = sqlite3.connect(":memory:")
    boot.enable_load_extension(True)
    boot.load_extension(EXT)  # the VFS stays registered for the process


def connect(name, store, extra=""):
    return sqlite3.connect(f"file:{name}?vfs=cloudlite&lease=off&store={store}{extra}", uri=True,
                           isolation_level=None)


def check(condition, what):
    if not condition:
        print(f"FAIL: {what}")
        sys.exit(1)


def damaged_first_segment(work, store):
    local = os.path.join(work, "local.db")
    raw = sqlite3.connect(local)
    raw.execute("CREATE TABLE t (x)")
    raw.execute("INSERT INTO t VALUES (1)")
    raw.commit()
    raw.close()
    subprocess.run([CLI, "push", local, f"{store}/pushed"], check=True, capture_output=True)
    segments = os.path.join(work, "pushed%2F", "seg%2F")
    for name in os.listdir(segments):
        os.remove(os.path.join(segments, name))
    con = connect("pushed", store)
    try:
        con.execute("SELECT * FROM t").fetchall()
        check(False, "a read of a database without its segment succeeded")
    except sqlite3.DatabaseError as e:
        check("malformed" in str(e), f"SQLITE_CORRUPT, got {e}")
    (error,) = con.execute("PRAGMA cloudlite_last_error").fetchone()
    check(error.startswith("corruption: pushed/seg/"), f"the key in cloudlite_last_error: {error}")


def refused_opens(store):
    for extra in ["&immutable=1", "&nolock=1", "&cache_size=abc", "&max_stalenes_ms=5"]:
        try:
            connect("db", store, extra).execute("SELECT 1 FROM sqlite_schema").fetchall()
            check(False, f"{extra} opened")
        except sqlite3.OperationalError as e:
            check("unable to open" in str(e), f"{extra}: {e}")


def write_spanning_two_databases(store):
    con = connect("left", store)
    con.execute(f"ATTACH 'file:right?vfs=cloudlite&lease=off&store={store}' AS r")
    con.execute("CREATE TABLE main.t (x)")
    con.execute("CREATE TABLE r.t (x)")
    con.execute("BEGIN")
    con.execute("INSERT INTO main.t VALUES (1)")
    try:
        con.execute("INSERT INTO r.t VALUES (1)")
        check(False, "a write transaction spanning two cloudlite databases was accepted")
    except sqlite3.OperationalError as e:
        check("readonly" in str(e), f"SQLITE_READONLY, got {e}")
    (error,) = con.execute("PRAGMA r.cloudlite_last_error").fetchone()
    check("cannot span" in error, f"the reason in cloudlite_last_error: {error}")
    con.execute("ROLLBACK")
    for name in ["left", "right"]:
        (n,) = connect(name, store).execute("SELECT count(*) FROM t").fetchone()
        check(n == 0, f"{name} committed {n} rows")
    con.execute("BEGIN")
    con.execute("SELECT * FROM main.t, r.t").fetchall()  # reading across stays allowed
    con.execute("COMMIT")


def main():
    work = tempfile.mkdtemp()
    try:
        load_extension()
        store = f"file://{work}"
        damaged_first_segment(work, store)
        refused_opens(store)
        write_spanning_two_databases(store)
        print("extension errors: ok")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
