"""Peer for bench/clv.sh: lifetimes on the same CDNOW log, the whole job
`churnkit clv` does: read the log, summarise it at the as-of day (daily
periods), fit the repeat-purchase model and Gamma-Gamma, and compute P(alive),
expected purchases in 90 days, expected spend and the 12-month discounted CLV
of every customer, written as CSV.
usage: clv_peer.py LOG.csv AS_OF bg-nbd|pareto-nbd OUT.csv"""
import sys

import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from lifetimes.utils import summary_data_from_transaction_data

log, as_of, model, out = sys.argv[1:5]
raw = pd.read_csv(log, dtype={"customer_id": str, "date": str})
raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
s = summary_data_from_transaction_data(raw[raw["date"] <= as_of], "customer_id", "date",
                                       monetary_value_col="dollar_value", observation_period_end=as_of, freq="D")
x, tx, T, m = s["frequency"], s["recency"], s["T"], s["monetary_value"]
purchases = (BetaGeoFitter() if model == "bg-nbd" else ParetoNBDFitter()).fit(x, tx, T)
repeat = s[(x > 0) & (m > 0)]
spend = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
s["p_alive"] = purchases.conditional_probability_alive(x, tx, T)
s["expected_purchases_90d"] = purchases.conditional_expected_number_of_purchases_up_to_time(90, x, tx, T)
s["expected_average_spend"] = spend.conditional_expected_average_profit(x, m)
s["clv"] = spend.customer_lifetime_value(purchases, x, tx, T, m, time=12, discount_rate=0.01, freq="D")
s.to_csv(out)
