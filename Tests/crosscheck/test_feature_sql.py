"""Cross-check: the feature SQL that `churnkit export --format sql-features`
writes, run over the raw events in DuckDB, SQLite, PostgreSQL (a server the
tests start) and Spark SQL (a local session in another time zone than UTC,
to show the SQL does not depend on it), gives the same
features as `churnkit features` (every value, 1e-9); and `sql-score` gives
the same probabilities and bands as `churnkit score`."""
import contextlib
import csv
import json
import os
import sqlite3
import subprocess
import tempfile

import duckdb
import polars as pl
import pytest

from test_features import CHURNKIT, ROOT

MODEL = os.path.join(ROOT, "models", "churn-model.json")
EVENTS = os.path.join(ROOT, "training-data", "events.csv")
CUSTOMERS = os.path.join(ROOT, "training-data", "customers.csv")


DIALECTS = ["duckdb", "sqlite", "postgres", "spark"]


@pytest.fixture(scope="module")
def engines():
    """Each engine's runner: SQL → (column names, rows). The server and the
    Spark session start on first use, once for the module."""
    stack = contextlib.ExitStack()
    runners = {}

    def runner(dialect):
        if dialect not in runners:
            runners[dialect] = start(dialect, stack)
        return runners[dialect]
    yield runner
    stack.close()


def start(dialect, stack):
    if dialect == "postgres":
        import psycopg2
        from engines import postgres_server
        connection = psycopg2.connect(**stack.enter_context(postgres_server()))
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute('CREATE TABLE events (customer_id text, "timestamp" text, event text, channel text, '
                           'amount double precision, sentiment double precision, stage text)')
            with open(EVENTS) as f:
                cursor.copy_expert("COPY events FROM STDIN WITH (FORMAT csv, HEADER true)", f)
            header = open(CUSTOMERS).readline().strip().split(",")
            cursor.execute("CREATE TABLE customers (" + ", ".join(f'"{c}" text' for c in header) + ")")
            with open(CUSTOMERS) as f:
                cursor.copy_expert("COPY customers FROM STDIN WITH (FORMAT csv, HEADER true)", f)

        def run(sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return [d[0] for d in cursor.description], cursor.fetchall()
        return run
    if dialect == "spark":
        from engines import spark_session
        spark = stack.enter_context(spark_session())
        spark.conf.set("spark.sql.session.timeZone", "America/New_York")
        events = spark.read.csv(EVENTS, header=True)
        events = events.withColumn("amount", events["amount"].cast("double"))
        events.withColumn("sentiment", events["sentiment"].cast("double")).createOrReplaceTempView("events")
        spark.read.csv(CUSTOMERS, header=True).createOrReplaceTempView("customers")

        def run(sql):
            frame = spark.sql(sql.rstrip().rstrip(";"))
            return frame.columns, [tuple(r) for r in frame.collect()]
        return run
    con = connect(dialect)

    def run(sql):
        cursor = con.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()
    return run


def connect(dialect):
    if dialect == "duckdb":
        con = duckdb.connect()
        con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{EVENTS}', header=true, all_varchar=true)")
        con.execute("ALTER TABLE events ALTER amount TYPE DOUBLE; ALTER TABLE events ALTER sentiment TYPE DOUBLE")
        con.execute(f"CREATE TABLE customers AS SELECT * FROM read_csv('{CUSTOMERS}', header=true, all_varchar=true)")
        return con
    con = sqlite3.connect(":memory:")
    ev = pl.read_csv(EVENTS, infer_schema_length=0)
    con.execute('CREATE TABLE events (customer_id TEXT, "timestamp" TEXT, event TEXT, channel TEXT, amount REAL, '
                'sentiment REAL, stage TEXT)')
    con.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?)", [
        (r[0], r[1], r[2], r[3] or None, float(r[4]) if r[4] else None, float(r[5]) if r[5] else None, r[6] or None)
        for r in ev.iter_rows()])
    cu = pl.read_csv(CUSTOMERS, infer_schema_length=0)
    con.execute("CREATE TABLE customers (" + ",".join(f'"{c}" TEXT' for c in cu.columns) + ")")
    con.executemany("INSERT INTO customers VALUES (" + ",".join("?" * len(cu.columns)) + ")", cu.iter_rows())
    return con


def export(fmt, dialect, as_of, model=MODEL):
    return subprocess.run([CHURNKIT, "export", "--model", model, "--format", fmt, "--dialect", dialect, "--as-of", as_of],
                          check=True, capture_output=True, text=True).stdout


def churnkit_features(as_of, model=MODEL):
    spec = os.path.join(tempfile.mkdtemp(), "spec.json")
    with open(spec, "w") as f:
        json.dump(json.load(open(model))["model"]["featureSpec"], f)
    out = spec.replace("spec.json", "features.csv")
    subprocess.run([CHURNKIT, "features", "--events", EVENTS, "--customers", CUSTOMERS, "--cutoff", as_of,
                    "--horizon", "90d", "--churn-definition", "event:cancel", "--spec", spec, "--out", out],
                   check=True, capture_output=True)
    return pl.read_csv(out, infer_schema_length=0)


@pytest.fixture(scope="module")
def pooled_model():
    """A model whose event types and channels are partly pooled: at most 3
    of each get columns, and types fewer than 400 customers have are pooled
    too (the pool holds both kinds)."""
    work = tempfile.mkdtemp()
    spec = os.path.join(work, "spec.json")
    with open(spec, "w") as f:
        json.dump({"max_categories": 3, "rare_category_min_customers": 400, "interventions": ["discount_offer"]}, f)
    model = os.path.join(work, "model.json")
    subprocess.run([CHURNKIT, "train", "--events", EVENTS, "--customers", CUSTOMERS, "--cutoff", "2025-06-30", "--horizon", "90d",
                    "--churn-definition", "event:cancel", "--spec", spec, "--l2", "1", "--out", model],
                   check=True, capture_output=True)
    resolved = json.load(open(model))["model"]["featureSpec"]
    assert resolved["pooled_event_types"] == "other" and resolved["pooled_channels"] == "other"
    assert 0 < len(resolved["event_types"]) <= 3 and 0 < len(resolved["channels"]) <= 3
    return model


@pytest.fixture(scope="module")
def log1p_model():
    """A model whose counts and amounts enter as log(1 + x) (a `log1p`
    spec), with an intervention (its count stays as it is)."""
    work = tempfile.mkdtemp()
    spec = os.path.join(work, "spec.json")
    with open(spec, "w") as f:
        json.dump({"log1p": True, "interventions": ["discount_offer"]}, f)
    model = os.path.join(work, "model.json")
    subprocess.run([CHURNKIT, "train", "--events", EVENTS, "--customers", CUSTOMERS, "--cutoff", "2025-06-30", "--horizon", "90d",
                    "--churn-definition", "event:cancel", "--spec", spec, "--l2", "1", "--out", model],
                   check=True, capture_output=True)
    names = json.load(open(model))["model"]["features"]
    assert "log1p_count_30d" in names and "log1p_amount_sum_90d" in names and "treatment_count_discount_offer" in names
    return model


@pytest.fixture(scope="module")
def cox_model():
    """A model with Cox's churn probability as a feature (`cox_risk`),
    computed in SQL from the other features of each row."""
    work = tempfile.mkdtemp()
    spec = os.path.join(work, "spec.json")
    with open(spec, "w") as f:
        json.dump({"cox_risk": {}, "interventions": ["discount_offer"]}, f)
    model = os.path.join(work, "model.json")
    subprocess.run([CHURNKIT, "train", "--events", EVENTS, "--customers", CUSTOMERS, "--cutoff", "2025-06-30", "--horizon", "90d",
                    "--churn-definition", "event:cancel", "--spec", spec, "--l2", "1", "--out", model],
                   check=True, capture_output=True)
    names = json.load(open(model))["model"]["features"]
    assert names[-1] == "cox_risk_90d"
    return model


def train_with(spec_json, extra=()):
    work = tempfile.mkdtemp()
    spec = os.path.join(work, "spec.json")
    with open(spec, "w") as f:
        json.dump(spec_json, f)
    model = os.path.join(work, "model.json")
    subprocess.run([CHURNKIT, "train", "--events", EVENTS, "--customers", CUSTOMERS, "--cutoff", "2025-06-30",
                    "--horizon", "90d", "--churn-definition", "event:cancel", "--spec", spec, "--l2", "1",
                    "--out", model, *extra], check=True, capture_output=True)
    return model


@pytest.fixture(scope="module")
def repeat_model():
    """A model with the buy-till-you-die features (`repeat_purchase`: BG/NBD
    and Gamma-Gamma fitted at the training cutoff), counts under `log1p`.
    On the sample the dropout probability does not vary across customers:
    BG/NBD's limit with a common dropout, whose expectation is closed."""
    model = train_with({"repeat_purchase": {"clv_months": 6}, "log1p": True, "interventions": ["discount_offer"]})
    resolved = json.load(open(model))["model"]["featureSpec"]["repeat_purchase"]
    assert resolved["parameters"]["common_dropout"] > 0 and resolved["parameters"]["p"] > 0
    names = json.load(open(model))["model"]["features"]
    assert {"p_alive", "log1p_expected_purchases_90d", "log1p_clv", "no_purchase_yet"} <= set(names)
    return model


@pytest.fixture(scope="module")
def repeat_extreme_model():
    """Parameters far from the sample's (given in the spec, so not fitted):
    frequent purchases (α = 0.6 days), a beta(0.7, 0.45) dropout whose series
    terms change sign, a 365-day horizon, and customers who bought nothing
    yet: the series needs thousands of terms for new customers."""
    parameters = {"r": 2.5, "alpha": 0.6, "a": 0.7, "b": 0.45, "p": 3.0, "q": 4.0, "v": 50.0}
    model = train_with({"repeat_purchase": {"parameters": parameters, "clv_months": 12, "horizon_days": 365}})
    names = json.load(open(model))["model"]["features"]
    assert "no_purchase_yet" in names and "expected_purchases_365d" in names
    return model


@pytest.fixture(scope="module")
def repeat_cdnow_model():
    """lifetimes' BG/NBD parameters for CDNOW (weeks turned into days): the
    hypergeometric series summed in SQL."""
    parameters = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}
    return train_with({"repeat_purchase": {"parameters": parameters}})


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("as_of", ["2025-06-30", "2025-09-30", "pooled", "log1p", "cox", "repeat", "repeat_cdnow",
                                   "repeat_extreme"])
def test_sql_features_equal_churnkit_features(dialect, as_of, request, engines):
    model = MODEL
    if as_of == "repeat_extreme" and dialect in ("sqlite", "postgres"):
        pytest.skip("the long series in DuckDB and Spark; SQLite and PostgreSQL sum the same terms for CDNOW's")
    if as_of in ("pooled", "log1p", "cox", "repeat", "repeat_cdnow", "repeat_extreme"):
        model, as_of = request.getfixturevalue(f"{as_of}_model"), "2025-09-30"
    ours = churnkit_features(as_of, model)
    columns, rows = engines(dialect)(export("sql-features", dialect, as_of, model))
    assert columns == ours.columns[:-1]  # all but the label
    assert [r[0] for r in rows] == ours["customer_id"].to_list()
    for j, name in enumerate(columns[2:], start=2):
        expected = ours[name].cast(pl.Float64).to_list()
        for r, o in zip(rows, expected):
            assert r[j] is not None and abs(r[j] - o) <= 1e-9 * max(1.0, abs(o)), (name, r[0], r[j], o)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sql_score_equals_churnkit_score(dialect, engines):
    out = os.path.join(tempfile.mkdtemp(), "scores.csv")
    subprocess.run([CHURNKIT, "score", "--model", MODEL, "--events", EVENTS, "--customers", CUSTOMERS,
                    "--as-of", "2025-09-30", "--out", out], check=True, capture_output=True)
    with open(out) as f:
        ours = {r["customer_id"]: (float(r["churn_probability"]), int(r["risk_band"])) for r in csv.DictReader(f)}
    _, rows = engines(dialect)(export("sql-score", dialect, "2025-09-30"))
    assert len(rows) == len(ours) > 1000
    for cid, p, band in rows:
        want_p, want_band = ours[cid]
        assert abs(p - want_p) <= 1e-9 * max(want_p, 1e-300) or abs(p - want_p) < 1e-15, (cid, p, want_p)
        assert band == want_band


@pytest.fixture(scope="module")
def learner_models():
    """The sample's actions learned by the S-, T- and DR learners (the
    shipped model has the hazard learner's)."""
    return {learner: train_with({"interventions": ["discount_offer", "loyalty_call", "onboarding_help"],
                                 "stage_churn": {}},
                                ["--actions", os.path.join(ROOT, "models", "actions.json"), "--learner", learner])
            for learner in ("s", "t", "dr")}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("learner", ["hazard", "s", "t", "dr"])
def test_sql_decide_equals_churnkit_score(dialect, learner, engines, learner_models):
    """`export --format sql-decide`: the next best action decided in the
    engine from the events (eligibility, each action's churn without and
    with it over the horizon, uplift, net value, best and runner-up) equals
    `churnkit score`'s action columns for every customer (1e-9), for each
    learner."""
    model = MODEL if learner == "hazard" else learner_models[learner]
    assert json.load(open(model))["model"]["uplift"]["learner"] == learner
    out = os.path.join(tempfile.mkdtemp(), "scores.csv")
    subprocess.run([CHURNKIT, "score", "--model", model, "--events", EVENTS, "--customers", CUSTOMERS,
                    "--as-of", "2025-09-30", "--out", out], check=True, capture_output=True)
    ours = {r["customer_id"]: r for r in csv.DictReader(open(out))}
    columns, rows = engines(dialect)(export("sql-decide", dialect, "2025-09-30", model))
    assert len(rows) == len(ours) > 1000
    chosen = {}
    for row in rows:
        got, expected = dict(zip(columns, row)), ours[row[0]]
        for name in ("next_best_action", "runner_up_action"):
            assert (got[name] or "") == expected[name], (name, row[0], got[name], expected[name])
        for name in ("expected_uplift", "expected_net_value", "expected_net_value_se", "customer_value",
                     "customer_value_se", "reachable"):
            if expected[name] == "":
                assert got[name] is None, (name, row[0], got[name])
            else:
                e = float(expected[name])
                assert abs(got[name] - e) <= 1e-9 * max(1.0, abs(e)), (name, row[0], got[name], e)
        chosen[got["next_best_action"]] = chosen.get(got["next_best_action"], 0) + 1
    assert len(chosen) >= 3 and chosen["none"] < len(rows), chosen  # several actions chosen, not all "none"


def test_sql_decide_needs_actions(pooled_model):
    r = subprocess.run([CHURNKIT, "export", "--model", pooled_model, "--format", "sql-decide", "--dialect", "duckdb",
                        "--as-of", "2025-09-30"], capture_output=True, text=True)
    assert r.returncode != 0 and "the model has no actions: train it with --actions" in r.stderr, r.stderr
    assert r.stdout == ""


def test_sql_decide_with_stage_weights_on_a_larger_log(tmp_path):
    """On the sample the T-learner's stage weights are all 0 (every
    customer gets the stage's effect), so its own estimate is not used
    there. On a generated log of 12,000 customers they are 0.2–0.4: the
    T-, S- and DR learners' decisions in DuckDB equal `churnkit score`'s
    there too (the DR learner's effects a linear function of the features
    its lasso kept)."""
    subprocess.run([CHURNKIT, "generate", "--customers", "12000", "--seed", "7", "--out", tmp_path / "log"],
                   check=True, capture_output=True)
    events, customers = tmp_path / "log" / "events.csv", tmp_path / "log" / "customers.csv"
    con = duckdb.connect()
    con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{events}', header=true, all_varchar=true)")
    con.execute("ALTER TABLE events ALTER amount TYPE DOUBLE; ALTER TABLE events ALTER sentiment TYPE DOUBLE")
    con.execute(f"CREATE TABLE customers AS SELECT * FROM read_csv('{customers}', header=true, all_varchar=true)")
    for learner in ("t", "s", "dr"):
        model = tmp_path / f"{learner}.json"
        subprocess.run([CHURNKIT, "train", "--events", events, "--customers", customers, "--cutoff", "2025-06-30",
                        "--horizon", "90d", "--churn-definition", "event:cancel", "--spec",
                        os.path.join(ROOT, "models", "feature-spec.json"), "--actions",
                        os.path.join(ROOT, "models", "actions.json"), "--learner", learner, "--l2", "1",
                        "--out", model], check=True, capture_output=True)
        weights = [s["customerWeight"] for e in json.load(open(model))["model"]["uplift"]["effects"]
                   for s in e["stages"]]
        if learner in ("t", "dr"):
            assert max(weights) > 0.2, weights
        if learner == "dr":
            assert any(e and e["features"] for e in json.load(open(model))["model"]["uplift"]["dr"]["effects"])
        subprocess.run([CHURNKIT, "score", "--model", model, "--events", events, "--customers", customers,
                        "--as-of", "2025-09-30", "--out", tmp_path / "scores.csv"], check=True, capture_output=True)
        ours = {r["customer_id"]: r for r in csv.DictReader(open(tmp_path / "scores.csv"))}
        cursor = con.execute(export("sql-decide", "duckdb", "2025-09-30", str(model)))
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        assert len(rows) == len(ours) > 5000
        for row in rows:
            got, expected = dict(zip(columns, row)), ours[row[0]]
            assert (got["next_best_action"], got["runner_up_action"] or "") == (
                expected["next_best_action"], expected["runner_up_action"]), (learner, row[0])
            for name in ("expected_uplift", "expected_net_value", "customer_value"):
                e = float(expected[name])
                assert abs(got[name] - e) <= 1e-9 * max(1.0, abs(e)), (learner, name, row[0], got[name], e)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_recommend_assigns_the_decisions_a_warehouse_made(dialect, engines, tmp_path):
    """`recommend --decisions`: the `sql-decide` rows run in the engine and
    saved, assigned under the catalog's capacities and a budget, give the
    plan `recommend --events` makes (every customer's action, uplift, net
    value, value; the totals)."""
    columns, rows = engines(dialect)(export("sql-decide", dialect, "2025-09-30"))
    with open(tmp_path / "decisions.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows([["" if v is None else repr(v) if isinstance(v, float) else v for v in r] for r in rows])
    plans = {}
    for name, source in [("table", ["--decisions", tmp_path / "decisions.csv"]),
                         ("events", ["--events", EVENTS, "--customers", CUSTOMERS, "--as-of", "2025-09-30"])]:
        r = subprocess.run([CHURNKIT, "recommend", "--model", MODEL, *source, "--budget", "2000",
                            "--out", tmp_path / f"{name}.csv", "--json"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        plans[name] = (json.loads(r.stdout), {row["customer_id"]: row for row in csv.DictReader(open(tmp_path / f"{name}.csv"))})
    (table_summary, table_rows), (events_summary, events_rows) = plans["table"], plans["events"]
    assert table_summary["asOf"] == "2025-09-30" and table_rows.keys() == events_rows.keys()
    for got, expected in zip(table_summary["actions"], events_summary["actions"]):
        assert got["action"] == expected["action"] and got["customers"] == expected["customers"], (got, expected)
        assert abs(got["netValue"] - expected["netValue"]) <= 1e-6 * max(1, abs(expected["netValue"]))
    assert sum(a["customers"] for a in events_summary["actions"]) > 50  # the budget binds: 83 of them
    for cid, expected in events_rows.items():
        got = table_rows[cid]
        assert (got["action"], got["stage"]) == (expected["action"], expected["stage"]), cid
        for name in ("churn_probability", "value", "expected_uplift", "expected_net_value"):
            assert abs(float(got[name]) - float(expected[name])) <= 1e-9 * max(1, abs(float(expected[name]))), (cid, name)


def test_conversion_values_price_prospects_the_same_in_sql(engines, tmp_path):
    """A catalog's `conversion_values` give customers without revenue their
    stage's value: `churnkit score` and the `sql-decide` query run in DuckDB
    agree on every customer's value, chance still reachable and net value,
    and the prospects' values are the catalog's."""
    catalog = tmp_path / "actions.json"
    catalog.write_text(json.dumps({
        "actions": [{"id": "discount_offer", "cost": 10, "cooldown_days": 90},
                    {"id": "loyalty_call", "cost": 25, "eligible_stages": ["retention", "advocacy"]},
                    {"id": "onboarding_help", "cost": 5, "eligible_stages": ["onboarding"]}],
        "conversion_values": {"awareness": 300, "consideration": 900}}))
    model = tmp_path / "model.json"
    subprocess.run([CHURNKIT, "train", "--events", EVENTS, "--customers", CUSTOMERS, "--cutoff", "2025-06-30",
                    "--horizon", "90d", "--churn-definition", "event:cancel", "--spec",
                    os.path.join(ROOT, "models", "feature-spec.json"), "--l2", "1", "--learner", "s",
                    "--actions", catalog, "--out", model], check=True, capture_output=True)
    out = tmp_path / "scores.csv"
    subprocess.run([CHURNKIT, "score", "--model", model, "--events", EVENTS, "--customers", CUSTOMERS,
                    "--as-of", "2025-09-30", "--out", out], check=True, capture_output=True)
    ours = {r["customer_id"]: r for r in csv.DictReader(open(out))}
    prospects = [r for r in ours.values() if r["stage"] in ("awareness", "consideration")]
    assert len(prospects) > 500
    assert all(float(r["customer_value"]) == {"awareness": 300, "consideration": 900}[r["stage"]]
               and r["customer_value_se"] == "" for r in prospects)
    assert any(0 < float(r["reachable"]) < 1 for r in ours.values())
    columns, rows = engines("duckdb")(export("sql-decide", "duckdb", "2025-09-30", str(model)))
    assert len(rows) == len(ours)
    for row in rows:
        got, expected = dict(zip(columns, row)), ours[row[0]]
        assert got["next_best_action"] == expected["next_best_action"], row[0]
        for name in ("customer_value", "reachable", "expected_net_value", "expected_uplift"):
            e = float(expected[name])
            assert abs(got[name] - e) <= 1e-9 * max(1.0, abs(e)), (name, row[0], got[name], e)
        if expected["customer_value_se"] == "":
            assert got["customer_value_se"] is None, row[0]
