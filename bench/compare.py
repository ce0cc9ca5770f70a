"""Runs whole-process commands several times, in turns, and prints a table of
median wall times, throughput and ratios against a named peer.

usage: compare.py --runs 3 --bytes N --peer NAME NAME=COMMAND [NAME=COMMAND ...]
Each COMMAND is run through the shell; its output is discarded. Memory is the
peak resident set size of the process (from wait4's rusage).
"""
import argparse
import os
import statistics
import subprocess
import time

parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--bytes", type=int, required=True)
parser.add_argument("--peer", required=True)
parser.add_argument("commands", nargs="+")
args = parser.parse_args()

commands = [c.split("=", 1) for c in args.commands]
times = {name: [] for name, _ in commands}
memory = {name: [] for name, _ in commands}
for _ in range(args.runs):
    for name, command in commands:
        start = time.perf_counter()
        process = subprocess.Popen(command, shell=True, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{name} failed: {command}")
        times[name].append(elapsed)
        memory[name].append(usage.ru_maxrss / 1024)

peer = statistics.median(times[args.peer])
print(f"| command | median s (of {args.runs}) | MB/s | peak MB | time vs {args.peer} |")
print("|---|---|---|---|---|")
for name, _ in commands:
    median = statistics.median(times[name])
    mbps = args.bytes / 1e6 / median
    print(f"| {name} | {median:.2f} | {mbps:.0f} | {max(memory[name]):.0f} | {median / peer:.2f}× |")
