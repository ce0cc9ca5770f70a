"""Peer for bench/logistic-fit.sh: scikit-learn fits the same matrix.
usage: logistic_peer.py DIR N P LAMBDA SOLVER -> one JSON line
(fit seconds, iterations, coefficients, peak resident MB)."""
import json
import resource
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

d, n, p, lam, solver = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
x = np.fromfile(f"{d}/x.f64").reshape((n, p), order="F")
y = np.fromfile(f"{d}/y.f64")
model = LogisticRegression(C=1 / lam, solver=solver, tol=1e-8, max_iter=1000)
start = time.perf_counter()
model.fit(x, y)
seconds = time.perf_counter() - start
print(json.dumps({"solver": solver, "seconds": seconds, "iterations": int(model.n_iter_[0]),
                  "coefficients": [float(model.intercept_[0])] + [float(c) for c in model.coef_[0]],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
