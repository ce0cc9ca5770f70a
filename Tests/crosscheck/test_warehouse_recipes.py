"""The recipes of docs/warehouse.md, run as written: each engine's `sh`
block (the export) and its `sql <engine>` block (the tables), then the
exported query, in the engine itself — DuckDB, the sqlite3 shell, a
PostgreSQL server the test starts (psql's `\\copy` and `\\i` done by the
driver) and a local Spark session. Every engine's scores equal `churnkit
score`'s to 1e-9, with the same risk bands."""
import csv
import io
import os
import re
import shlex
import subprocess

import pytest

from test_features import CHURNKIT, ROOT

DOC = open(os.path.join(ROOT, "docs", "warehouse.md")).read()


def blocks(engine):
    """The export command and the SQL block of one engine's section."""
    title = {"duckdb": "DuckDB", "sqlite": "SQLite", "postgres": "PostgreSQL", "spark": "Spark SQL"}[engine]
    section = DOC.split("\n## " + title, 1)[1].split("\n## ", 1)[0]
    shell = re.search(r"```sh\n(.*?)\n```", section, re.S).group(1)
    sql = re.search(r"```sql " + engine + r"\n(.*?)\n```", section, re.S).group(1)
    return shlex.split(shell), sql


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    out = tmp_path_factory.mktemp("ours") / "scores.csv"
    subprocess.run([CHURNKIT, "score", "--model", "models/churn-model.json", "--events", "training-data/events.csv",
                    "--customers", "training-data/customers.csv", "--as-of", "2025-09-30", "--out", out],
                   check=True, capture_output=True, cwd=ROOT)
    with open(out) as f:
        return {r["customer_id"]: (float(r["churn_probability"]), int(r["risk_band"])) for r in csv.DictReader(f)}


def prepare(engine, tmp_path):
    """A folder with the repository's data and models in reach, the export
    run in it; returns the SQL block and the exported query."""
    for name in ("training-data", "models"):
        os.symlink(os.path.join(ROOT, name), tmp_path / name)
    command, sql = blocks(engine)
    assert command[0] == "churnkit"
    subprocess.run([CHURNKIT, *command[1:]], check=True, capture_output=True, cwd=tmp_path)
    return sql, (tmp_path / "score.sql").read_text()


def statements(sql):
    return [s.strip() for s in sql.split(";") if s.strip()]


def compare(rows, ours):
    assert len(rows) == len(ours) > 1000
    for cid, p, band in rows:
        want_p, want_band = ours[cid]
        assert abs(float(p) - want_p) <= 1e-9 * max(want_p, 1e-300) or abs(float(p) - want_p) < 1e-15, (cid, p)
        assert int(band) == want_band, cid


def test_duckdb_recipe(tmp_path, ours):
    import duckdb
    sql, query = prepare("duckdb", tmp_path)
    os.chdir(tmp_path)
    try:
        con = duckdb.connect()
        for statement in statements(sql):
            con.execute(statement)
        compare(con.execute(query).fetchall(), ours)
    finally:
        os.chdir(ROOT)


def test_sqlite_recipe(tmp_path, ours):
    sql, _ = prepare("sqlite", tmp_path)
    (tmp_path / "recipe.sql").write_text(sql + "\n")
    with open(tmp_path / "recipe.sql") as recipe:
        result = subprocess.run(["sqlite3", "-csv", str(tmp_path / "my.db")], stdin=recipe, capture_output=True,
                                text=True, cwd=tmp_path)
    assert result.returncode == 0 and not result.stderr, result.stderr
    compare(list(csv.reader(io.StringIO(result.stdout))), ours)


def test_postgres_recipe(tmp_path, ours):
    import psycopg2
    from engines import postgres_server
    sql, query = prepare("postgres", tmp_path)
    with postgres_server() as arguments:
        connection = psycopg2.connect(**arguments)
        connection.autocommit = True
        rows = None
        with connection.cursor() as cursor:
            for line in sql.splitlines():
                copy = re.match(r"\\copy (\w+) FROM '([^']+)' (WITH .*)$", line)
                if copy:
                    with open(tmp_path / copy.group(2)) as f:
                        cursor.copy_expert(f"COPY {copy.group(1)} FROM STDIN {copy.group(3)}", f)
                elif line.startswith("\\i "):
                    cursor.execute((tmp_path / line[3:].strip()).read_text())
                    rows = cursor.fetchall()
                else:
                    cursor.execute(line)
        connection.close()
    compare(rows, ours)


def test_spark_recipe(tmp_path, ours):
    from engines import spark_session
    sql, query = prepare("spark", tmp_path)
    os.chdir(tmp_path)
    try:
        with spark_session() as spark:
            spark.conf.set("spark.sql.session.timeZone", "America/New_York")
            for statement in statements(sql):
                spark.sql(statement)
            rows = [tuple(r) for r in spark.sql(query.rstrip().rstrip(";")).collect()]
    finally:
        os.chdir(ROOT)
    compare(rows, ours)
