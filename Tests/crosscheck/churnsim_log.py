"""An event log from a simulator ChurnKit did not write: the subscription
churn simulator of "Fighting Churn with Data" (PyPI `fightchurn`, Carl Gold),
model `socialnet7`, driven without its database.

Each simulated customer's behaviour events become rows (`YYYY-MM-DD
HH:MM:SS`, one of the simulator's event types); each subscription period
adds a `subscribe` row with its monthly revenue as the amount; a customer
whose last subscription ended before the simulation did gets a `cancel` row
then. Same seed, same file.
"""
import csv
import os
import pathlib
import random
import tempfile
from datetime import datetime, time

import numpy as np


def write(path, seed=7, first_month=150, per_month=25, end="2020-12-31", overrides=()):
    from hydra import compose, initialize_config_dir
    import fightchurn.churnsim as churnsim
    from fightchurn.churnsim.churnsim import ChurnSimulation
    from dateutil.relativedelta import relativedelta

    os.environ.setdefault("CHURN_OUT_DIR", tempfile.mkdtemp())
    conf = str(pathlib.Path(churnsim.__file__).parent / "conf")
    with initialize_config_dir(config_dir=conf, version_base=None):
        cfg = compose(config_name="socialnet7", overrides=[f"end_date={end}", *overrides])
    random.seed(seed)
    np.random.seed(seed)
    sim = ChurnSimulation(cfg)
    names = list(list(sim.behavior_models.values())[0].behave_names)
    rows = []
    month, customer_id = sim.start_date, 0
    while month < sim.end_date:
        for _ in range(first_month if month == sim.start_date else per_month):
            customer = sim.simulate_customer(month)
            customer_id += 1
            key = f"u{customer_id:05d}"
            for when, kind, _, value in customer.events:
                rows.append((when, key, names[kind], "" if value is None else value))
            for plan, start, stop, mrr, *_ in customer.subscriptions:
                rows.append((datetime.combine(start, time(0, 0, 0)), key, "subscribe", round(float(mrr), 2)))
            last = max(s[2] for s in customer.subscriptions)
            if last is not None and last < sim.end_date:
                rows.append((datetime.combine(last, time(0, 0, 0)), key, "cancel", ""))
        month = month + relativedelta(months=1)
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["account_id", "event_time", "event_type", "amount"])
        for when, key, kind, amount in rows:
            out.writerow([key, when.strftime("%Y-%m-%d %H:%M:%S"), kind, amount])
    return len(rows)


if __name__ == "__main__":
    import sys
    print(write(sys.argv[1]))
