"""Events and customers read from SQLite tables (`sqlite:PATH?table=T`) and
scores written to one, checked by SQLite itself (Python's sqlite3):

- the sample's events and customers read from tables score byte for byte
  as from the CSV files; CDNOW (the public log lifetimes ships) read from a
  table gives `churnkit clv` the same figures as from its CSV;
- `score --out sqlite:…` writes every row in one transaction, the columns
  typed (TEXT keys, INTEGER, REAL), the values those of the CSV; an
  existing table with the same columns gets the rows appended;
- a failure part-way (a CHECK constraint refusing the last customer) or a
  table with other columns leaves the table as it was and exits non-zero
  with a message saying so; a location without a table, a missing table
  or a missing file is a clear error.
"""
import csv
import pathlib
import sqlite3
import subprocess

import lifetimes.datasets
import pandas as pd
import pytest

from test_features import CHURNKIT, ROOT

ROOT = pathlib.Path(ROOT)
DATA = ["--model", "models/churn-model.json", "--as-of", "2025-12-30"]


def load(db, table, path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    con = sqlite3.connect(db)
    con.execute(f'CREATE TABLE "{table}" (' + ", ".join(f'"{c}"' for c in rows[0]) + ")")
    # Empty fields as NULL, numbers as numbers: what a warehouse export holds.
    def value(x):
        if x == "":
            return None
        try:
            return float(x) if any(c in x for c in ".eE") else int(x)
        except ValueError:
            return x
    con.executemany(f'INSERT INTO "{table}" VALUES (' + ", ".join("?" * len(rows[0])) + ")",
                    [[value(x) if c in ("amount", "sentiment") else (x or None) for c, x in zip(rows[0], r)]
                     for r in rows[1:]])
    con.commit()
    con.close()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    db = tmp_path_factory.mktemp("sqlite") / "shop.db"
    load(db, "events", ROOT / "training-data" / "events.csv")
    load(db, "customers", ROOT / "training-data" / "customers.csv")
    return db


def churnkit(*args):
    return subprocess.run([CHURNKIT, *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def test_tables_score_as_the_csv_files_do(shop, tmp_path):
    from_tables = churnkit("score", *DATA, "--events", f"sqlite:{shop}?table=events",
                           "--customers", f"sqlite:{shop}?table=customers", "--out", tmp_path / "a.csv")
    assert from_tables.returncode == 0, from_tables.stderr
    from_files = churnkit("score", *DATA, "--events", "training-data/events.csv",
                          "--customers", "training-data/customers.csv", "--out", tmp_path / "b.csv")
    assert from_files.returncode == 0, from_files.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_cdnow_from_a_table_gives_the_same_clv(tmp_path):
    raw = pd.read_csv(pathlib.Path(lifetimes.datasets.__file__).parent / "CDNOW_master.txt", sep=r"\s+",
                      dtype={"customer_id": str, "date": str})
    raw.to_csv(tmp_path / "cdnow.csv", index=False)
    con = sqlite3.connect(tmp_path / "cdnow.db")
    raw.to_sql("purchases", con, index=False)
    con.close()
    mapping = ["--id-column", "customer_id", "--time-column", "date", "--time-format", "yyyyMMdd",
               "--event-name", "purchase", "--amount-column", "dollar_value", "--as-of", "1997-09-30"]
    a = churnkit("clv", "--events", f"sqlite:{tmp_path / 'cdnow.db'}?table=purchases", *mapping,
                 "--out", tmp_path / "a.csv")
    assert a.returncode == 0, a.stderr
    b = churnkit("clv", "--events", tmp_path / "cdnow.csv", *mapping, "--out", tmp_path / "b.csv")
    assert b.returncode == 0, b.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert len(pd.read_csv(tmp_path / "a.csv")) == 23570


def test_scores_go_into_a_table_in_one_transaction(shop, tmp_path):
    out = tmp_path / "out.db"
    r = churnkit("score", *DATA, "--events", f"sqlite:{shop}?table=events",
                 "--customers", f"sqlite:{shop}?table=customers", "--out", f"sqlite:{out}?table=scores")
    assert r.returncode == 0, r.stderr
    churnkit("score", *DATA, "--events", "training-data/events.csv", "--customers", "training-data/customers.csv",
             "--out", tmp_path / "scores.csv", "--no-formula-escape")
    expected = pd.read_csv(tmp_path / "scores.csv", dtype={"customer_id": str, "as_of": str})
    con = sqlite3.connect(out)
    types = {row[1]: row[2] for row in con.execute("PRAGMA table_info(scores)")}
    assert types["customer_id"] == "TEXT" and types["risk_band"] == "INTEGER"
    assert types["churn_probability"] == "REAL" and types["next_best_action"] == "TEXT"
    ours = pd.read_sql("SELECT * FROM scores", con)
    assert list(ours.columns) == list(expected.columns) and len(ours) == len(expected) > 3000
    for column in expected.columns:
        a, e = ours[column], expected[column]
        if e.dtype.kind == "f":
            assert ((a - e).abs() <= 1e-15 * e.abs().clip(lower=1) + 0).where(e.notna(), a.isna()).all(), column
        else:
            assert (a.fillna("").astype(str) == e.fillna("").astype(str)).all(), column
    # A second batch is appended to the same table.
    r = churnkit("score", *DATA, "--events", "training-data/events.csv", "--out", f"sqlite:{out}?table=scores",
                 "--customers", "training-data/customers.csv")
    assert r.returncode == 0, r.stderr
    assert con.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 2 * len(expected)
    con.close()


def test_a_failure_leaves_the_table_as_it_was(shop, tmp_path):
    out = tmp_path / "out.db"
    header = pd.read_csv(churnkit_csv(tmp_path), nrows=0).columns
    last = pd.read_csv(tmp_path / "s.csv", dtype={"customer_id": str})["customer_id"].iloc[-1]
    con = sqlite3.connect(out)
    con.execute("CREATE TABLE scores (" + ", ".join(f'"{c}"' for c in header)
                + f", CHECK (customer_id <> '{last}'))")
    con.execute("INSERT INTO scores (customer_id, as_of) VALUES ('kept', 'before')")
    con.execute("CREATE TABLE other (x TEXT)")
    con.execute("INSERT INTO other VALUES ('kept')")
    con.commit()
    before = con.execute("SELECT * FROM scores").fetchall()
    r = churnkit("score", *DATA, "--events", f"sqlite:{shop}?table=events",
                 "--customers", f"sqlite:{shop}?table=customers", "--out", f"sqlite:{out}?table=scores")
    assert r.returncode != 0 and "CHECK constraint failed" in r.stderr and "nothing was written" in r.stderr, r.stderr
    assert con.execute("SELECT * FROM scores").fetchall() == before
    r = churnkit("score", *DATA, "--events", f"sqlite:{shop}?table=events",
                 "--customers", f"sqlite:{shop}?table=customers", "--out", f"sqlite:{out}?table=other")
    assert r.returncode != 0 and "exists with other columns (x)" in r.stderr, r.stderr
    assert con.execute("SELECT * FROM other").fetchall() == [("kept",)]
    con.close()


def churnkit_csv(tmp_path):
    churnkit("score", *DATA, "--events", "training-data/events.csv", "--customers", "training-data/customers.csv",
             "--out", tmp_path / "s.csv")
    return tmp_path / "s.csv"


@pytest.mark.parametrize("location, message", [
    ("sqlite:{db}", "write a SQLite table as sqlite:PATH?table=NAME"),
    ("sqlite:{db}?table=", "the table name after 'table=' is empty"),
    ("sqlite:{db}?table=evnts", "no such table: evnts"),
    ("sqlite:{dir}/missing.db?table=events", "unable to open database file"),
])
def test_bad_locations_are_clear_errors(shop, tmp_path, location, message):
    r = churnkit("score", *DATA, "--events", location.format(db=shop, dir=tmp_path), "--out", tmp_path / "x.csv")
    assert r.returncode != 0 and message in r.stderr, r.stderr
    assert "Fatal" not in r.stderr and not (tmp_path / "x.csv").exists()


def test_the_database_file_itself_is_refused_with_the_spelling_to_use(shop, tmp_path):
    r = churnkit("score", *DATA, "--events", shop, "--out", tmp_path / "x.csv")
    assert r.returncode != 0 and f"read a table of it as sqlite:{shop}?table=NAME" in r.stderr, r.stderr
