"""How many of the customers a plan treats get an action whose true effect on
them is harmful: the plan (recommend --out) against the truth (--truth-out).
    python3 bench/nba_harmed.py PLAN.csv TRUTH.csv"""
import csv
import sys

plan = {r["customer_id"]: r["action"] for r in csv.DictReader(open(sys.argv[1]))}
truth = {r["customer_id"]: r for r in csv.DictReader(open(sys.argv[2]))}
treated = [(c, a) for c, a in plan.items() if a not in ("", "none")]
harmed = sum(1 for c, a in treated if float(truth[c]["true_uplift_" + a]) < 0)
print(f"{harmed} of {len(treated)} treated harmed")
