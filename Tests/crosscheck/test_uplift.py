"""Next best action, checked from outside:
- the Qini coefficient and uplift AUC that `churnkit train --actions` reports
  for each action on its holdout equal scikit-uplift's on the same rows;
- on the generated sample, the plan of `churnkit recommend` is judged by the
  true effects in truth.json: it beats treating the highest risk and random
  treatment, and keeps capacities and the budget;
- on a fresh generated log, every learner (hazard, S, T) does the same,
  and the snapshot dates read in blocks give the same model as read at once."""
import csv
import json
import os
import subprocess
import tempfile

import numpy as np
import pytest
from sklift.metrics import qini_auc_score, uplift_auc_score

from test_features import CHURNKIT, ROOT

EVENTS = os.path.join(ROOT, "training-data", "events.csv")
CUSTOMERS = os.path.join(ROOT, "training-data", "customers.csv")
TRUTH = os.path.join(ROOT, "training-data", "truth.json")


def true_policy_values(model, work):
    """`churnkit recommend --truth` on the generated log in `work`, as of
    2025-12-30: each policy's true net value by name."""
    run = subprocess.run([CHURNKIT, "recommend", "--model", model, "--events", f"{work}/events.csv",
                          "--customers", f"{work}/customers.csv", "--as-of", "2025-12-30",
                          "--truth", f"{work}/truth.json", "--json"],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return {p["policy"]: p["trueNetValue"] for p in json.loads(run.stdout)["truth"]["policies"]}


def test_qini_and_uplift_auc_match_scikit_uplift(quickstart_model):
    uplift = json.load(open(quickstart_model["model"]))["model"]["uplift"]
    rows = list(csv.DictReader(open(quickstart_model["holdout"])))
    assert len(rows) > 1000
    reported = {r["action"]: r for r in uplift["evaluation"]["actions"]}
    assert reported, "no action was evaluated"
    for action, r in reported.items():
        part = [row for row in rows if row["action"] == action or (row["action"] == "none" and row[f"admits_{action}"] == "1")]
        treated = np.array([row["action"] == action for row in part], dtype=int)
        retained = np.array([1 - int(row["churned"]) for row in part])
        score = np.array([float(row[f"uplift_{action}"]) for row in part])
        assert treated.sum() == r["treatedRows"] and len(part) - treated.sum() == r["controlRows"]
        assert abs(qini_auc_score(retained, score, treated) - r["qiniCoefficient"]) < 1e-9, action
        assert abs(uplift_auc_score(retained, score, treated) - r["upliftAUC"]) < 1e-9, action


def recommend(model, *extra):
    work = tempfile.mkdtemp()
    plan = os.path.join(work, "plan.csv")
    run = subprocess.run([CHURNKIT, "recommend", "--model", model, "--events", EVENTS, "--customers", CUSTOMERS,
                          "--as-of", "2025-12-30", "--truth", TRUTH, "--out", plan, "--json", *extra],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(run.stdout), list(csv.DictReader(open(plan)))


def test_plan_beats_simple_rules_on_the_true_effects(quickstart_model):
    summary, plan = recommend(quickstart_model["model"])
    policies = {p["policy"]: p for p in summary["truth"]["policies"]}
    ours = policies["recommended"]["trueNetValue"]
    assert ours > policies["treat the highest risk"]["trueNetValue"]
    assert ours > policies["random"]["trueNetValue"]
    assert ours > 0
    # The bar this version reaches (docs/benchmarks.md); the issue asks for 0.9.
    assert summary["truth"]["shareOfOracle"] >= 0.7, summary["truth"]
    # Capacities from the catalog hold in the written plan.
    catalog = {a["id"]: a for a in json.load(open(os.path.join(ROOT, "models", "actions.json")))}
    for action, a in catalog.items():
        assert sum(1 for row in plan if row["action"] == action) <= a["capacity"]
    assert sum(1 for row in plan if row["action"] != "none") == sum(t["customers"] for t in summary["actions"])


def test_budget_is_never_exceeded(quickstart_model):
    summary, plan = recommend(quickstart_model["model"], "--budget", "700")
    catalog = {a["id"]: a for a in json.load(open(os.path.join(ROOT, "models", "actions.json")))}
    spend = sum(catalog[row["action"]]["cost"] for row in plan if row["action"] != "none")
    assert spend <= 700 and abs(spend - summary["spend"]) < 1e-9
    assert spend > 600  # the budget is used, not left idle


def test_every_learner_beats_simple_rules_on_a_fresh_generated_log():
    """Each learner, trained on a generated log the quick start never saw
    (3,000 customers, seed 5), plans better than treating the highest risk
    or random treatment by the true effects; the hazard learner's effect
    durations are among the candidates it may choose."""
    work = tempfile.mkdtemp()
    subprocess.run([CHURNKIT, "generate", "--customers", "3000", "--seed", "5", "--out", work],
                   check=True, capture_output=True)
    learners = ["hazard", "s", "t"]
    runs = {learner: subprocess.Popen(
        [CHURNKIT, "train", "--events", f"{work}/events.csv", "--customers", f"{work}/customers.csv",
         "--cutoff", "2025-06-30", "--horizon", "90d", "--churn-definition", "event:cancel",
         "--spec", "models/feature-spec.json", "--l2", "1", "--actions", "models/actions.json",
         "--learner", learner, "--out", f"{work}/{learner}.json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for learner in learners}
    reports = {}
    for learner, run in runs.items():
        reports[learner], errors = run.communicate()
        assert run.returncode == 0, errors
    # About 940 treatments per main action: the hazard learner's report
    # suggests the S-learner, which planned better on logs this small.
    assert "few treatments" in reports["hazard"] and "try --learner s" in reports["hazard"], reports["hazard"]
    assert "few treatments" not in reports["s"]
    for learner in learners:
        uplift = json.load(open(f"{work}/{learner}.json"))["model"]["uplift"]
        assert uplift["learner"] == learner
        if learner == "hazard":
            assert all(d in (30, 45, 60, 90) for d in uplift["hazard"]["effectDays"]), uplift["hazard"]
        policies = true_policy_values(f"{work}/{learner}.json", work)
        assert policies["recommended"] > policies["treat the highest risk"], (learner, policies)
        assert policies["recommended"] > policies["random"], (learner, policies)


def test_snapshot_dates_read_in_blocks_give_the_same_model():
    """Every customer is learned from: the snapshot dates are read a block at
    a time (--uplift-max-rows: rows built at once), the controls sampled by
    draws fixed per customer and date, so one date per pass gives the same
    uplift model as every date in one pass; the report no longer speaks of a
    sample of customers, and the plan still beats the simple rules."""
    work = tempfile.mkdtemp()
    subprocess.run([CHURNKIT, "generate", "--customers", "3000", "--seed", "5", "--out", work],
                   check=True, capture_output=True)
    common = [CHURNKIT, "train", "--events", f"{work}/events.csv", "--customers", f"{work}/customers.csv",
              "--cutoff", "2025-06-30", "--horizon", "90d", "--churn-definition", "event:cancel",
              "--spec", "models/feature-spec.json", "--l2", "1", "--actions", "models/actions.json"]
    models = {}
    for rows in ("3000", "1000000"):
        run = subprocess.run(common + ["--uplift-max-rows", rows, "--out", f"{work}/model-{rows}.json"],
                             check=True, capture_output=True, text=True, cwd=ROOT)
        assert "sample of the" not in run.stdout + run.stderr
        models[rows] = json.load(open(f"{work}/model-{rows}.json"))["model"]["uplift"]
    assert models["3000"] == models["1000000"]
    controls = sum(a["controlRows"] for a in models["3000"]["evaluation"]["actions"])
    assert controls > 0
    policies = true_policy_values(f"{work}/model-3000.json", work)
    assert policies["recommended"] > policies["random"], policies


def test_inactivity_churn_learns_uplift_with_the_s_learner():
    """With --churn-definition inactivity (no churn event) uplift is learned
    from outcomes 'no activity within the horizon after the treatment', by
    the S-learner unless told otherwise; the hazard learner, which needs churn
    times, is refused with a way out; the plan still beats random treatment
    by the true effects (far below the cancel-event model: see
    docs/actions.md)."""
    work = tempfile.mkdtemp()
    subprocess.run([CHURNKIT, "generate", "--customers", "2000", "--seed", "8", "--out", work],
                   check=True, capture_output=True)
    common = [CHURNKIT, "train", "--events", f"{work}/events.csv", "--customers", f"{work}/customers.csv",
              "--cutoff", "2025-06-30", "--horizon", "90d", "--churn-definition", "inactivity",
              "--spec", "models/feature-spec.json", "--l2", "1", "--actions", "models/actions.json"]
    subprocess.run(common + ["--out", f"{work}/model.json"], check=True, capture_output=True, text=True, cwd=ROOT)
    model = json.load(open(f"{work}/model.json"))["model"]
    assert model["training"]["churnDefinition"] == "inactivity"
    assert model["uplift"]["learner"] == "s"
    refused = subprocess.run(common + ["--learner", "hazard", "--out", f"{work}/never.json"],
                             capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode != 0
    assert "--learner s or t" in refused.stderr, refused.stderr
    assert not os.path.exists(f"{work}/never.json")
    policies = true_policy_values(f"{work}/model.json", work)
    assert policies["recommended"] > policies["random"], policies
