"""Cross-check: `churnkit train --engine sqlite|postgres|duckdb` builds the features
and labels inside the database and fits with one aggregate query per Newton
step, and gives the same model file as `churnkit train` on the same events
in memory: every coefficient, standard error, metric and reference figure to
1e-8 (relative, or absolute below 1), the same features dropped and why.

Logs: the shipped sample (event churn, interventions, a customer holdout
with a penalty; several cutoffs with a later-cutoff holdout and no penalty)
and a public one, CDNOW (lifetimes; date-only, churn by inactivity, the
default options). The PostgreSQL server is started by the tests on a
private socket (engines.py); the SQLite file is written by Python's
sqlite3, the DuckDB file by Python's duckdb and read by DuckDB's shell (PyPI
`duckdb-cli`, in the venv)."""
import contextlib
import csv
import io
import json
import os
import pathlib
import sqlite3
import subprocess
import sys

import duckdb

import lifetimes.datasets
import pandas as pd
import pytest

from test_features import CHURNKIT, ROOT

SAMPLE = pathlib.Path(ROOT) / "training-data" / "events.csv"
DATASETS = pathlib.Path(lifetimes.datasets.__file__).parent
COLUMNS = ["customer_id", "timestamp", "event", "channel", "amount", "sentiment", "stage"]
SPEC = {"interventions": ["discount_offer", "loyalty_call", "onboarding_help"]}
# Fewer features, so the unpenalised fit at three cutoffs (each Newton step
# summing 1,200 products over 8,000 rows in SQLite) stays quick.
SMALL_SPEC = {**SPEC, "windows": [30, 90], "event_types": ["login", "purchase", "support_ticket", "visit"],
              "sentiment_windows": [90]}


# The venv's `duckdb` shell on PATH for `--engine duckdb`.
ENVIRONMENT = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}


def ck(*args, ok=True):
    run = subprocess.run([CHURNKIT, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=ENVIRONMENT)
    if ok:
        assert run.returncode == 0, run.stderr
    return run


def sample_rows():
    with open(SAMPLE, newline="") as f:
        return [[r[c] or None for c in COLUMNS] for r in csv.DictReader(f)]


def cdnow_rows():
    """CDNOW's purchases as an events table: ISO dates, one event type, the amount."""
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    return [[r.customer_id, f"{r.date[:4]}-{r.date[4:6]}-{r.date[6:]}", "purchase", None, float(r.dollar_value),
             None, None] for r in raw.itertuples()]


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        out.writerows([["" if v is None else v for v in row] for row in rows])


def load_sqlite(path, rows, table="events"):
    con = sqlite3.connect(path)
    con.execute(f'CREATE TABLE "{table}" (customer_id TEXT, "timestamp" TEXT, event TEXT, channel TEXT, '
                'amount REAL, sentiment REAL, stage TEXT)')
    con.executemany(f'INSERT INTO "{table}" VALUES (?,?,?,?,?,?,?)',
                    [[float(v) if i in (4, 5) and v is not None else v for i, v in enumerate(row)] for row in rows])
    con.commit()
    con.close()


@pytest.fixture(scope="module")
def postgres():
    """A connection URI of a fresh server holding `events` (the sample) and `cdnow`."""
    import psycopg2
    from engines import postgres_server
    with contextlib.ExitStack() as stack:
        args = stack.enter_context(postgres_server())
        con = psycopg2.connect(**args)
        con.autocommit = True
        with con.cursor() as cursor:
            for table, rows in (("events", sample_rows()), ("cdnow", cdnow_rows())):
                cursor.execute(f'CREATE TABLE {table} (customer_id text, "timestamp" text, event text, '
                               'channel text, amount double precision, sentiment double precision, stage text)')
                text = io.StringIO()
                csv.writer(text).writerows([["" if v is None else v for v in row] for row in rows])
                text.seek(0)
                cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", text)
        con.close()
        yield f"postgresql:///{args['dbname']}?host={args['host']}&user={args['user']}"


@pytest.fixture(scope="module")
def duckdb_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("engine") / "shop.duckdb"
    con = duckdb.connect(str(path))
    for table, rows in (("events", sample_rows()), ("cdnow", cdnow_rows())):
        text = path.parent / f"{table}.csv"
        write_csv(text, rows)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{text}', header = true, all_varchar = true)")
        con.execute(f"ALTER TABLE {table} ALTER amount TYPE DOUBLE; ALTER TABLE {table} ALTER sentiment TYPE DOUBLE")
    con.close()
    return path


CONNECTIONS = {"sqlite": "sqlite_file", "postgres": "postgres", "duckdb": "duckdb_file"}


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("engine") / "shop.db"
    load_sqlite(path, sample_rows(), "events")
    load_sqlite(path, cdnow_rows(), "cdnow")
    return path


def assert_same_model(engine_path, local_path):
    engine = json.loads(pathlib.Path(engine_path).read_text())["model"]
    local = json.loads(pathlib.Path(local_path).read_text())["model"]
    differences = []

    def walk(a, b, where):
        if isinstance(a, dict) and isinstance(b, dict):
            if set(a) != set(b):
                differences.append((where, sorted(set(a) ^ set(b))))
            for key in set(a) & set(b):
                if where + "/" + key not in ("/training/events", "/training/eventsFingerprint"):
                    walk(a[key], b[key], where + "/" + key)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                differences.append((where, len(a), len(b)))
            for k, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{k}]")
        elif isinstance(a, float) and isinstance(b, float) or isinstance(a, int) and isinstance(b, float) \
                or isinstance(a, float) and isinstance(b, int):
            if abs(a - b) > 1e-8 * max(1.0, abs(b)):
                differences.append((where, a, b))
        elif a != b:
            differences.append((where, a, b))

    walk(engine, local, "")
    assert not differences, differences[:10]
    return engine


def both_ways(tmp_path, connection, engine, table, local_events, options):
    engine_model, local_model = tmp_path / "engine.json", tmp_path / "local.json"
    trained = ck("train", "--engine", engine, "--connection", connection, "--table", table, *options,
                 "--out", engine_model)
    ck("train", "--events", local_events, *options, "--out", local_model)
    return assert_same_model(engine_model, local_model), trained


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    work = tmp_path_factory.mktemp("engine-csv")
    spec, small = work / "spec.json", work / "small.json"
    spec.write_text(json.dumps(SPEC))
    small.write_text(json.dumps(SMALL_SPEC))
    cdnow = work / "cdnow.csv"
    write_csv(cdnow, cdnow_rows())
    return {"spec": spec, "small": small, "cdnow": cdnow}


@pytest.mark.parametrize("engine", ["sqlite", "postgres", "duckdb"])
def test_sample_with_a_customer_holdout_and_a_penalty(engine, request, files, tmp_path):
    connection = request.getfixturevalue(CONNECTIONS[engine])
    model, trained = both_ways(
        tmp_path, connection, engine, "events", SAMPLE,
        ["--cutoff", "2025-06-30", "--horizon", "90d", "--churn-definition", "event:cancel", "--spec",
         files["spec"], "--l2", "1", "--holdout", "0.3"])
    assert model["training"]["holdoutMetrics"]["count"] > 500
    assert model["fit"]["converged"]


def test_sample_at_several_cutoffs_unpenalised_with_a_later_holdout(sqlite_file, files, tmp_path):
    model, trained = both_ways(
        tmp_path, sqlite_file, "sqlite", "events", SAMPLE,
        ["--cutoffs", "2025-03-31,2025-05-31", "--holdout-cutoff", "2025-07-31", "--horizon", "60d",
         "--churn-definition", "event:cancel", "--spec", files["small"], "--l2", "0"])
    # Unpenalised, the screen sets features aside from the database's sums
    # as it does from the rows in memory: aliased ones with their combination.
    assert model["fit"]["l2"] == 0
    assert {d["reason"] for d in model["fit"]["dropped"]} >= {"aliased", "constant"}, model["fit"]["dropped"]


@pytest.mark.parametrize("engine", ["sqlite", "postgres", "duckdb"])
def test_cdnow_date_only_by_inactivity_with_the_defaults(engine, request, files, tmp_path):
    connection = request.getfixturevalue(CONNECTIONS[engine])
    model, trained = both_ways(tmp_path, connection, engine, "cdnow", files["cdnow"],
                               ["--cutoff", "1997-09-30", "--horizon", "90d", "--holdout", "0.25"])
    # The date-only log ends at the end of its last day: nobody is censored.
    assert "end of day" in trained.stderr and "not yet observable" not in trained.stderr
    assert 0 < model["training"]["baseRate"] < 1


def test_what_the_engine_cannot_do_is_refused_before_anything_is_written(sqlite_file, duckdb_file, tmp_path):
    out = tmp_path / "model.json"
    base = ["train", "--engine", "sqlite", "--connection", sqlite_file, "--cutoff", "2025-06-30", "--horizon", "90d",
            "--churn-definition", "event:cancel", "--out", out]
    spec = tmp_path / "stage.json"
    spec.write_text(json.dumps({"stage_churn": {}}))
    for extra, words in (
        (["--spec", spec, "--l2", "1"], "stage_churn"),
        (["--customers", ROOT + "/training-data/customers.csv"], "without --engine"),
        (["--l2", "1", "--table", "nope"], "nope"),
        (["--cv", "5"], "without --engine"),
        (["--l2", "1", "--id-column", "account"], "rename them in a view"),
    ):
        run = ck(*base, *extra, ok=False)
        assert run.returncode != 0 and words in run.stderr, run.stderr
        assert not out.exists()
    # The database options alone are refused, not ignored.
    run = ck("train", "--events", SAMPLE, "--connection", sqlite_file, "--cutoff", "2025-06-30", "--horizon", "90d",
             "--out", out, ok=False)
    assert run.returncode != 0 and "add --engine" in run.stderr, run.stderr
    run = ck("train", "--engine", "spark", "--connection", "x", "--cutoff", "2025-06-30", "--horizon", "90d",
             "--out", out, ok=False)
    assert run.returncode != 0 and "sql-features" in run.stderr
    # A DuckDB error (here: no such table) comes back as the shell printed it.
    run = ck("train", "--engine", "duckdb", "--connection", duckdb_file, "--table", "nope", "--cutoff", "2025-06-30",
             "--horizon", "90d", "--l2", "1", "--out", out, ok=False)
    assert run.returncode != 0 and "nope" in run.stderr, run.stderr
    # Few events per feature and no penalty: the in-memory trainer would
    # choose one by cross-validation; the engine says so instead of fitting.
    run = ck("train", "--engine", "sqlite", "--connection", sqlite_file, "--cutoff", "2025-06-30", "--horizon",
             "90d", "--churn-definition", "event:cancel", "--holdout", "0.9", "--out", out, ok=False)
    assert run.returncode != 0 and "--l2" in run.stderr, run.stderr
    assert not out.exists()
