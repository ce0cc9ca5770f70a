"""The model shipped in models/ is exactly what the quick start's training
command produces from training-data/ (same inputs, same bytes). The command
is read from scripts/quickstart itself, so the two cannot drift apart."""
import os

from test_features import ROOT


def test_shipped_model_is_reproducible(quickstart_model):
    with open(quickstart_model["model"], "rb") as f:
        ours = f.read()
    with open(os.path.join(ROOT, "models", "churn-model.json"), "rb") as f:
        assert ours == f.read()
