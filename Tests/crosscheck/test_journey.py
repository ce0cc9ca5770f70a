"""Cross-check: the stage model's linear algebra against numpy/scipy, from
the JSON `churnkit journey` writes — the fundamental matrix, churn-within
probabilities, advocacy-before-churn and e^(Qt) — to 1e-10."""
import json
import os
import subprocess
import tempfile

import numpy as np
from scipy.linalg import expm

from test_features import CHURNKIT, ROOT


def test_absorbing_chain_and_expm_match_numpy_and_scipy():
    out = os.path.join(tempfile.mkdtemp(), "journey.json")
    subprocess.run([CHURNKIT, "journey", "--events", "training-data/events.csv", "--churn-event", "cancel",
                    "--inactivity", "60d", "--json", out], check=True, capture_output=True, cwd=ROOT)
    doc = json.load(open(out))
    model = doc["model"]
    p = np.array(model["transitionMatrix"])
    q = np.array(model["generator"])
    k = len(model["stages"]) - 1
    assert np.allclose(p.sum(axis=1), 1, atol=1e-12)
    assert np.allclose(q.sum(axis=1), 0, atol=1e-12)
    a = model["absorption"]
    n = np.linalg.inv(np.eye(k) - p[:k, :k])
    assert np.max(np.abs(np.array(a["fundamentalMatrix"]) - n) / np.maximum(np.abs(n), 1)) < 1e-10
    assert np.max(np.abs(np.array(a["expectedPeriodsToChurn"]) - n.sum(axis=1)) / n.sum(axis=1)) < 1e-10
    for h, values in a["churnWithin"].items():
        ph = np.linalg.matrix_power(p, int(h))
        assert np.max(np.abs(np.array(values) - ph[:k, k])) < 1e-10
    adv = model["stages"].index("advocacy")
    others = [i for i in range(k) if i != adv]
    reach = np.linalg.solve(np.eye(len(others)) - p[np.ix_(others, others)], p[others, adv])
    ours = np.array(a["advocacyBeforeChurn"])
    assert np.max(np.abs(ours[others] - reach)) < 1e-10 and ours[adv] == 1
    for t, matrix in doc["continuousTimeTransition"].items():
        expected = expm(q * float(t))
        assert np.max(np.abs(np.array(matrix) - expected)) < 1e-10, t
