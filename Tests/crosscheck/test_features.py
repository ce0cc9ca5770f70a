"""Cross-check: `churnkit features` on the shipped sample against an
independent polars implementation of docs/features.md — the same one
bench/features.sh runs as the peer (bench/polars_features.py). Every value
must agree to 1e-9 (relative, or absolute near zero), and so must the rows
and labels.
"""
import math
import os
import subprocess
import tempfile

import sys

import polars as pl
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from polars_features import features as reference_features  # noqa: E402
CHURNKIT = os.environ.get("CHURNKIT", os.path.join(ROOT, ".build", "debug", "churnkit"))
EVENTS = os.path.join(ROOT, "training-data", "events.csv")
CUSTOMERS = os.path.join(ROOT, "training-data", "customers.csv")


def run_churnkit(cutoff, horizon_days, churn_event):
    out = tempfile.NamedTemporaryFile(suffix=".csv", delete=False).name
    subprocess.run(
        [CHURNKIT, "features", "--events", EVENTS, "--customers", CUSTOMERS, "--cutoff", cutoff,
         "--horizon", f"{horizon_days}d", "--churn-definition", f"event:{churn_event}", "--out", out],
        check=True, stderr=subprocess.DEVNULL)
    df = pl.read_csv(out, infer_schema=False)
    os.unlink(out)
    return df


def close(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("cutoff,horizon", [("2025-06-30", 90), ("2024-09-15", 30), ("2025-11-30", 90)])
def test_every_feature_matches_the_reference(cutoff, horizon):
    reference = reference_features(EVENTS, CUSTOMERS, cutoff, horizon)
    names = reference.columns[2:-1]
    ours = run_churnkit(cutoff, horizon, "cancel")
    assert ours.columns == reference.columns
    assert ours["customer_id"].to_list() == reference["customer_id"].to_list()
    assert set(ours["cutoff"].to_list()) == {cutoff}
    mismatches = []
    for name in names:
        for cid, got, want in zip(ours["customer_id"], ours[name].cast(pl.Float64), reference[name].cast(pl.Float64)):
            if not close(got, want):
                mismatches.append((cid, name, got, want))
    for cid, label, want in zip(ours["customer_id"], ours["label"], reference["label"]):
        assert (label is None and want is None) or (label is not None and int(label) == want), (cid, label, want)
    assert not mismatches, mismatches[:10]
    assert len(ours) > 1000
