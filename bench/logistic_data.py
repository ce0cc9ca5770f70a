"""Writes the logistic-regression benchmark data: X (n × p, float64,
column-major) and y (float64 0/1), seeded.
usage: logistic_data.py N P OUT_DIR"""
import os
import sys

import numpy as np

n, p, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
x = np.asfortranarray(rng.normal(0, 1, (n, p)) * rng.uniform(0.5, 3, p) + rng.uniform(-1, 1, p))
beta = rng.normal(0, 0.3, p)
eta = -1.0 + (x - x.mean(axis=0)) @ beta
y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.float64)
x.ravel(order="F").tofile(os.path.join(out, "x.f64"))
y.tofile(os.path.join(out, "y.f64"))
