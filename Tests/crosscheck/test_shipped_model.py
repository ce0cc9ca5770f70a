"""The model shipped in models/ is what the quick start's training command
produces from training-data/ (same inputs, same model). The command is read
from scripts/quickstart itself, so the two cannot drift apart.

Byte for byte with the BLAS kernels the file was made with. OpenBLAS picks
its kernels by CPU (SSE3, AVX2, AVX-512 with FMA), and they round sums in
different orders, so on another CPU the numbers may differ in their last
digits: then everything but the numbers (and the checksum over them) must
be equal, and every number equal to 1e-8 relative (or 1e-9 absolute, for
covariances near 0). The uplift part's propensity diagnostics and policy
values come from fits on few treated rows (118 for onboarding_help) whose
rounding differences reach the 5th digit: there 1e-3 relative."""
import json
import math
import os

from test_features import ROOT


LOOSE = (".model.uplift.propensity", ".model.uplift.evaluation.policies")


def differences(ours, shipped, path="", tolerance=1e-8):
    """Where two decoded model files differ beyond rounding."""
    if isinstance(ours, dict) and isinstance(shipped, dict):
        if ours.keys() != shipped.keys():
            return [f"{path}: keys {sorted(ours.keys() ^ shipped.keys())}"]
        return [d for k in ours if k != "checksum"
                for d in differences(ours[k], shipped[k], f"{path}.{k}", tolerance)]
    if isinstance(ours, list) and isinstance(shipped, list):
        if len(ours) != len(shipped):
            return [f"{path}: {len(ours)} entries, shipped {len(shipped)}"]
        return [d for i, (a, b) in enumerate(zip(ours, shipped))
                for d in differences(a, b, f"{path}[{i}]", tolerance)]
    if isinstance(ours, float) and isinstance(shipped, float):
        loose = path.startswith(LOOSE)
        close = math.isclose(ours, shipped, rel_tol=max(tolerance, 1e-3 if loose else 0), abs_tol=1e-9)
        return [] if close else [f"{path}: {ours!r}, shipped {shipped!r}"]
    return [] if ours == shipped and type(ours) is type(shipped) else [f"{path}: {ours!r}, shipped {shipped!r}"]


def test_shipped_model_is_reproducible(quickstart_model):
    with open(quickstart_model["model"], "rb") as f:
        ours = f.read()
    with open(os.path.join(ROOT, "models", "churn-model.json"), "rb") as f:
        shipped = f.read()
    if ours != shipped:
        assert differences(json.loads(ours), json.loads(shipped)) == []


def test_a_changed_model_is_told_apart():
    with open(os.path.join(ROOT, "models", "churn-model.json"), "rb") as f:
        shipped = json.loads(f.read())
    changed = json.loads(json.dumps(shipped))
    changed["model"]["fit"]["terms"][0]["coefficient"] *= 1 + 1e-6
    changed["model"]["uplift"]["propensity"][0]["auc"] *= 1.01
    changed["model"]["training"]["rows"] += 1
    found = differences(changed, shipped)
    assert len(found) == 3, found
    assert ".model.fit.terms[0].coefficient" in found[0] and ".model.training.rows" in found[1]
    assert ".model.uplift.propensity[0].auc" in found[2]
    rounded = json.loads(json.dumps(shipped))
    rounded["model"]["fit"]["terms"][1]["coefficient"] *= 1 + 1e-13
    rounded["checksum"] = "crc32:00000000"
    assert differences(rounded, shipped) == []
