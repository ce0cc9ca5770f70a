"""Peer for bench/score.sh: polars reads the feature file, numpy computes the
probabilities, risk bands and top-3 reasons (feature, value, contribution)
from the exported model, polars writes the scores CSV.
usage: score_peer.py MODEL_JSON FEATURES.csv OUT.csv"""
import json
import sys

import numpy as np
import polars as pl

model = json.load(open(sys.argv[1]))["model"]
names = model["features"]
terms = model["fit"]["terms"]
# The fit's terms laid over the features by name: a feature the fit left
# out (constant or aliased) has coefficient 0.
coefficient = {t["name"]: t["coefficient"] for t in terms[1:]}
b0, b = terms[0]["coefficient"], np.array([coefficient.get(n, 0.0) for n in names])
means = np.array(model["reference"]["featureMeans"])
cuts = np.array(model["reference"]["riskBandCuts"])

df = pl.read_csv(sys.argv[2], schema_overrides={n: pl.Float64 for n in names})
x = df.select(names).to_numpy()
contributions = (x - means) * b
p = 1 / (1 + np.exp(-(b0 + x @ b)))
band = np.searchsorted(cuts, p, side="left") + 1
top = np.argsort(-contributions, axis=1, kind="stable")[:, :3]
rows = np.arange(len(x))[:, None]
top_c = contributions[rows, top]
top_v = x[rows, top]
names_arr = np.array(names)
out = {"customer_id": df["customer_id"], "as_of": df["cutoff"], "churn_probability": p, "risk_band": band}
for k in range(3):
    positive = top_c[:, k] > 0
    out[f"reason_{k + 1}"] = np.where(positive, names_arr[top[:, k]], "")
    out[f"reason_{k + 1}_value"] = np.where(positive, top_v[:, k], np.nan)
    out[f"reason_{k + 1}_contribution"] = np.where(positive, top_c[:, k], np.nan)
pl.DataFrame(out).write_csv(sys.argv[3])
