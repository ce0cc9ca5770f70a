"""Events and customers read from PostgreSQL tables (`postgres://…?table=T`,
through libpq) and scores written to one, checked by the server itself (a
PostgreSQL the test starts on a private socket, read back with psycopg2):

- the sample's events and customers read from tables score byte for byte
  as from the CSV files; CDNOW (the public log lifetimes ships) read from a
  table gives `churnkit clv` the same figures as from its CSV;
- `score --out postgres://…` writes every row in one transaction (COPY),
  typed (TEXT keys, BIGINT, DOUBLE PRECISION), equal to the CSV; a second
  batch is appended;
- a CHECK constraint refusing the last customer, or a table with other
  columns, leaves the table as it was and exits non-zero saying so;
- a password in the location is never printed.
"""
import pathlib
import subprocess

import lifetimes.datasets
import pandas as pd
import pytest

from test_features import CHURNKIT, ROOT

ROOT = pathlib.Path(ROOT)
DATA = ["--model", "models/churn-model.json", "--as-of", "2025-12-30"]


@pytest.fixture(scope="module")
def server():
    import psycopg2
    from engines import postgres_server
    with postgres_server() as args:
        con = psycopg2.connect(**args)
        con.autocommit = True
        with con.cursor() as cursor:
            cursor.execute('CREATE TABLE events (customer_id text, "timestamp" text, event text, channel text, '
                           'amount double precision, sentiment double precision, stage text)')
            with open(ROOT / "training-data" / "events.csv") as f:
                cursor.copy_expert("COPY events FROM STDIN WITH (FORMAT csv, HEADER true)", f)
            header = (ROOT / "training-data" / "customers.csv").open().readline().strip().split(",")
            cursor.execute("CREATE TABLE customers (" + ", ".join(f'"{c}" text' for c in header) + ")")
            with open(ROOT / "training-data" / "customers.csv") as f:
                cursor.copy_expert("COPY customers FROM STDIN WITH (FORMAT csv, HEADER true)", f)
        base = f"postgresql:///{args['dbname']}?host={args['host']}&user={args['user']}"
        yield con, lambda table: f"{base}&table={table}"
        con.close()


def churnkit(*args):
    return subprocess.run([CHURNKIT, *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def test_tables_score_as_the_csv_files_do(server, tmp_path):
    _, at = server
    a = churnkit("score", *DATA, "--events", at("events"), "--customers", at("customers"), "--out", tmp_path / "a.csv")
    assert a.returncode == 0, a.stderr
    b = churnkit("score", *DATA, "--events", "training-data/events.csv", "--customers", "training-data/customers.csv",
                 "--out", tmp_path / "b.csv")
    assert b.returncode == 0, b.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_cdnow_from_a_table_gives_the_same_clv(server, tmp_path):
    con, at = server
    raw = pd.read_csv(pathlib.Path(lifetimes.datasets.__file__).parent / "CDNOW_master.txt", sep=r"\s+",
                      dtype={"customer_id": str, "date": str})
    raw.to_csv(tmp_path / "cdnow.csv", index=False)
    with con.cursor() as cursor:
        cursor.execute("CREATE SCHEMA cdnow")
        cursor.execute("CREATE TABLE cdnow.purchases (customer_id text, date text, number_of_cds integer, "
                       "dollar_value double precision)")
        with open(tmp_path / "cdnow.csv") as f:
            cursor.copy_expert("COPY cdnow.purchases FROM STDIN WITH (FORMAT csv, HEADER true)", f)
    mapping = ["--id-column", "customer_id", "--time-column", "date", "--time-format", "yyyyMMdd",
               "--event-name", "purchase", "--amount-column", "dollar_value", "--as-of", "1997-09-30"]
    a = churnkit("clv", "--events", at("cdnow.purchases"), *mapping, "--out", tmp_path / "a.csv")
    assert a.returncode == 0, a.stderr
    b = churnkit("clv", "--events", tmp_path / "cdnow.csv", *mapping, "--out", tmp_path / "b.csv")
    assert b.returncode == 0, b.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_scores_go_into_a_table_in_one_transaction(server, tmp_path):
    con, at = server
    r = churnkit("score", *DATA, "--events", at("events"), "--customers", at("customers"), "--out", at("scores"))
    assert r.returncode == 0, r.stderr
    churnkit("score", *DATA, "--events", "training-data/events.csv", "--customers", "training-data/customers.csv",
             "--out", tmp_path / "scores.csv", "--no-formula-escape")
    expected = pd.read_csv(tmp_path / "scores.csv", dtype={"customer_id": str, "as_of": str})
    with con.cursor() as cursor:
        cursor.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'scores'")
        types = dict(cursor.fetchall())
        assert types["customer_id"] == "text" and types["risk_band"] == "bigint"
        assert types["churn_probability"] == "double precision"
        cursor.execute("SELECT * FROM scores")
        ours = pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])
    assert list(ours.columns) == list(expected.columns) and len(ours) == len(expected) > 3000
    for column in expected.columns:
        a, e = ours[column], expected[column]
        if e.dtype.kind == "f":
            a = a.astype(float)
            assert ((a - e).abs() <= 1e-15 * e.abs().clip(lower=1)).where(e.notna(), a.isna()).all(), column
        else:
            assert (a.fillna("").astype(str) == e.fillna("").astype(str)).all(), column
    r = churnkit("score", *DATA, "--events", at("events"), "--customers", at("customers"), "--out", at("scores"))
    assert r.returncode == 0, r.stderr
    with con.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM scores")
        assert cursor.fetchone()[0] == 2 * len(expected)


def test_a_failure_leaves_the_table_as_it_was(server, tmp_path):
    con, at = server
    churnkit("score", *DATA, "--events", "training-data/events.csv", "--customers", "training-data/customers.csv",
             "--out", tmp_path / "s.csv")
    scores = pd.read_csv(tmp_path / "s.csv", dtype={"customer_id": str})
    last = scores["customer_id"].iloc[-1]
    with con.cursor() as cursor:
        cursor.execute("CREATE TABLE guarded (" + ", ".join(f'"{c}" text' for c in scores.columns)
                       + f", CHECK (customer_id <> '{last}'))")
        cursor.execute("INSERT INTO guarded (customer_id, as_of) VALUES ('kept', 'before')")
        cursor.execute("CREATE TABLE other (x text)")
        cursor.execute("INSERT INTO other VALUES ('kept')")
    r = churnkit("score", *DATA, "--events", at("events"), "--customers", at("customers"), "--out", at("guarded"))
    assert r.returncode != 0 and "violates check constraint" in r.stderr and "nothing was written" in r.stderr, r.stderr
    with con.cursor() as cursor:
        cursor.execute("SELECT customer_id, as_of FROM guarded")
        assert cursor.fetchall() == [("kept", "before")]
    r = churnkit("score", *DATA, "--events", at("events"), "--customers", at("customers"), "--out", at("other"))
    assert r.returncode != 0 and "exists with other columns (x)" in r.stderr, r.stderr
    with con.cursor() as cursor:
        cursor.execute("SELECT * FROM other")
        assert cursor.fetchall() == [("kept",)]


def test_a_password_is_never_printed(server, tmp_path):
    _, at = server
    location = at("no_such_table").replace("postgresql:///", "postgresql://churnkit:s3cret@/") + "&password=s3cret"
    r = churnkit("score", *DATA, "--events", location, "--out", tmp_path / "x.csv")
    assert r.returncode != 0 and 'relation "no_such_table" does not exist' in r.stderr, r.stderr
    assert "s3cret" not in r.stderr + r.stdout and "churnkit:***@" in r.stderr and "password=***" in r.stderr
    r = churnkit("score", *DATA, "--events", location.replace("&table=no_such_table", ""), "--out", tmp_path / "x.csv")
    assert r.returncode != 0 and "name the table" in r.stderr and "s3cret" not in r.stderr, r.stderr
    assert not (tmp_path / "x.csv").exists()


def test_a_service_file_and_an_awkward_table_name(server, tmp_path):
    """Connection settings from a service file (PGSERVICEFILE, as libpq
    reads it), and a table whose name needs quoting (a double quote, a
    space, a capital), written and read back."""
    import os
    con, at = server
    params = dict(item.split("=", 1) for item in at("x").split("?", 1)[1].split("&"))
    (tmp_path / "services").write_text(
        f"[churnkit]\nhost={params['host']}\nuser={params['user']}\ndbname=postgres\n")
    env = {**os.environ, "PGSERVICEFILE": str(tmp_path / "services")}
    location = 'postgresql:///?service=churnkit&table=Odd "Name"'
    r = subprocess.run([CHURNKIT, "score", *DATA, "--events", at("events"), "--customers", at("customers"),
                        "--out", location], capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    with con.cursor() as cursor:
        cursor.execute('SELECT COUNT(*) FROM "Odd ""Name"""')
        n = cursor.fetchone()[0]
    assert n > 3000
    r = subprocess.run([CHURNKIT, "validate", "--events", location.replace('Odd "Name"', "events")],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0 and "0 errors" in r.stdout + r.stderr, r.stdout + r.stderr
