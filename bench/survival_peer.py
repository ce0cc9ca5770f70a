"""Peer for bench/survival.sh: lifelines fits Cox's model (Efron ties, its
default) on the same table; the reading is timed with the fit, as
`churnkit survival --features` reads the file.
usage: survival_peer.py TABLE.csv [robust]"""
import sys

import pandas as pd
from lifelines import CoxPHFitter

table = pd.read_csv(sys.argv[1])
CoxPHFitter().fit(table, "duration", "churned", robust=len(sys.argv) > 2)
