"""The model shipped in models/ is exactly what the quick start's training
command produces from training-data/ (same inputs, same bytes)."""
import os
import subprocess
import tempfile

from test_features import CHURNKIT, ROOT


def test_shipped_model_is_reproducible():
    out = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    subprocess.run(
        [CHURNKIT, "train", "--events", "training-data/events.csv", "--customers", "training-data/customers.csv",
         "--cutoff", "2025-06-30", "--horizon", "90d", "--churn-definition", "event:cancel", "--l2", "1",
         "--holdout", "0.3", "--out", out],
        check=True, capture_output=True, cwd=ROOT)
    with open(out, "rb") as f:
        ours = f.read()
    os.unlink(out)
    with open(os.path.join(ROOT, "models", "churn-model.json"), "rb") as f:
        assert ours == f.read()
