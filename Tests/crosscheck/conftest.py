"""Shared fixtures: the quick start's training run, done once per session
(it takes the longest in a debug build), with the uplift holdout rows."""
import os
import shlex
import subprocess
import tempfile

import pytest

from test_features import CHURNKIT, ROOT


def quickstart_train_arguments():
    """The `churnkit train` arguments exactly as scripts/quickstart gives them."""
    script = open(os.path.join(ROOT, "scripts", "quickstart")).read().replace("\\\n", " ")
    lines = [line for line in script.splitlines() if line.strip().startswith('"$churnkit" train ')]
    assert len(lines) == 1, lines
    return shlex.split(lines[0])[1:]


@pytest.fixture(scope="session")
def quickstart_model():
    """Runs the quick start's training into a temporary folder; returns the
    paths of the model and of the uplift holdout rows."""
    args = quickstart_train_arguments()
    out_at = args.index("--out")
    assert args[out_at + 1] == "models/churn-model.json"
    work = tempfile.mkdtemp()
    model, holdout = os.path.join(work, "model.json"), os.path.join(work, "holdout.csv")
    args[out_at + 1] = model
    subprocess.run([CHURNKIT, *args, "--uplift-holdout-out", holdout], check=True, capture_output=True, cwd=ROOT)
    return {"model": model, "holdout": holdout}
