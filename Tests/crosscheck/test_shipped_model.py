"""The model shipped in models/ is exactly what the quick start's training
command produces from training-data/ (same inputs, same bytes). The command
is read from scripts/quickstart itself, so the two cannot drift apart."""
import os
import shlex
import subprocess
import tempfile

from test_features import CHURNKIT, ROOT


def quickstart_train_arguments():
    script = open(os.path.join(ROOT, "scripts", "quickstart")).read().replace("\\\n", " ")
    lines = [line for line in script.splitlines() if line.strip().startswith('"$churnkit" train ')]
    assert len(lines) == 1, lines
    return shlex.split(lines[0])[1:]


def test_shipped_model_is_reproducible():
    args = quickstart_train_arguments()
    out_at = args.index("--out")
    assert args[out_at + 1] == "models/churn-model.json"
    out = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    args[out_at + 1] = out
    subprocess.run([CHURNKIT, *args], check=True, capture_output=True, cwd=ROOT)
    with open(out, "rb") as f:
        ours = f.read()
    os.unlink(out)
    with open(os.path.join(ROOT, "models", "churn-model.json"), "rb") as f:
        assert ours == f.read()
