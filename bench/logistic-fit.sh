#!/usr/bin/env bash
# Benchmark: logistic regression on a dense 1M × 50 matrix with a tiny L2
# (λ = 1e-4), fit only (loading excluded), to the same optimum: ChurnKit's
# Newton–Cholesky beside scikit-learn's newton-cholesky and lbfgs, all with
# tolerance 1e-8, in the same run. Prints times, iterations, peak memory and
# the largest coefficient difference from ChurnKit's.
#   bench/logistic-fit.sh
source "$(dirname "$0")/setup.sh"
dir=bench/data/logit
[ -f "$dir/x.f64" ] || .venv/bin/python bench/logistic_data.py 1000000 50 "$dir"
echo "matrix: 1,000,000 × 50 float64 = 400 MB; BLAS: $(.build/release/churnkit --version | sed -n 2p | cut -c9-)"
echo "cores: $(nproc)"
echo
for run in 1 2 3; do
  .build/release/churnkit-bench fit "$dir" 1000000 50 0.0001
  .venv/bin/python bench/logistic_peer.py "$dir" 1000000 50 0.0001 newton-cholesky
  .venv/bin/python bench/logistic_peer.py "$dir" 1000000 50 0.0001 lbfgs
done > bench/out/logistic-fit.jsonl
.venv/bin/python - <<'PY'
import json, statistics
rows = [json.loads(l) for l in open("bench/out/logistic-fit.jsonl")]
by = {}
for r in rows:
    by.setdefault(r["solver"], []).append(r)
ours = by["churnkit"][0]["coefficients"]
fastest_peer = min(statistics.median(r["seconds"] for r in by[s]) for s in by if s != "churnkit")
print("| fit | median s (of 3) | iterations | peak MB | max rel. coef. difference from churnkit | vs churnkit |")
print("|---|---|---|---|---|---|")
base = statistics.median(r["seconds"] for r in by["churnkit"])
for solver, rs in by.items():
    t = statistics.median(r["seconds"] for r in rs)
    diff = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(rs[0]["coefficients"], ours))
    print(f"| {solver} | {t:.2f} | {rs[0]['iterations']} | {max(r['peak_mb'] for r in rs):.0f} | {diff:.1e} | {t / base:.2f}× |")
print(f"\nchurnkit is {fastest_peer / base:.1f}× faster than the fastest peer; peak memory {max(r['peak_mb'] for r in by['churnkit']) / 400:.2f}× the 400 MB matrix")
PY
