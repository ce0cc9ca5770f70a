"""Writes a survival table for bench/survival.sh: N customers, P covariates,
churn times from a proportional-hazards model rounded up to whole days (so
that many are tied), censored at a uniform follow-up.
usage: survival_data.py N P OUT.csv"""
import sys

import numpy as np
import pandas as pd

n, p, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(20261207)
x = rng.normal(size=(n, p))
beta = rng.normal(scale=0.3, size=p)
times = rng.exponential(60 / np.exp(x @ beta))
censor = rng.uniform(30, 365, size=n)
table = pd.DataFrame(x, columns=[f"x{j}" for j in range(p)])
table.insert(0, "churned", (times <= censor).astype(int))
table.insert(0, "duration", np.ceil(np.minimum(times, censor)))
table.to_csv(out, index=False)
