"""The bad-input corpus: damaged, hostile and mistaken inputs across every
command, each with the exit code and the message fragment it must give.

For every case the run must also: end by exit (never a signal or a trap),
say what is wrong on standard error when it fails, leave an existing output
file exactly as it was (and create none) when it fails, and leave no
temporary file behind. docs/reliability.md reports the figures this test
prints with `-s`.

Separately, a log with 100,000 distinct event types (and 5,000 channels)
goes through features, train, score, journey and validate within a stated
memory bound (the vocabulary cap, docs/features.md).
"""
import gzip
import json
import os
import subprocess
import sys

import pytest

from test_features import CHURNKIT

HEADER = "customer_id,timestamp,event,channel,amount\n"
BEFORE = b"previous contents\n"


def good_log():
    """40 customers over a year: logins, purchases, and cancels for a third
    in October."""
    rows = []
    for k in range(40):
        for m in range(1, 13):
            if k % 3 == 0 and m > 9:
                rows.append(f"C{k:02d},2024-10-{k % 28 + 1:02d}T12:00:00Z,cancel,web,")
                break
            rows.append(f"C{k:02d},2024-{m:02d}-{k % 28 + 1:02d}T09:00:00Z,login,{'web' if k % 2 else 'app'},")
            if (k + m) % 4 == 0:
                rows.append(f"C{k:02d},2024-{m:02d}-{k % 28 + 1:02d}T10:00:00Z,purchase,web,{10 + k}.5")
    return HEADER + "\n".join(rows) + "\n"


GOOD = good_log()
FIRST_ROW = GOOD.splitlines()[1]


def with_row(row):
    """The good log with one more row."""
    return GOOD + row + "\n"


# Event logs that cannot be used, or hold rows that cannot: (name, bytes).
BAD_LOGS = [
    ("empty", b""),
    ("header-only", HEADER.encode()),
    ("no-customer-column", GOOD.replace("customer_id,", "client,", 1).encode()),
    ("no-timestamp-column", GOOD.replace(",timestamp,", ",when,", 1).encode()),
    ("no-event-column", GOOD.replace(",event,", ",kind,", 1).encode()),
    ("duplicate-column", GOOD.replace(",amount\n", ",event\n", 1).encode()),
    ("quote-never-closed", with_row('C99,2024-03-01T00:00:00Z,"login,web,').encode()),
    ("png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    ("parquet", b"PAR1" + b"\x00" * 64 + b"PAR1"),
    ("zip", b"PK\x03\x04" + b"\x00" * 64),
    ("gzip-truncated", gzip.compress(GOOD.encode())[:200]),
    ("gzip-corrupt", gzip.compress(GOOD.encode())[:20] + b"\xff" * 200),
    ("nul-in-id", with_row("C\x0099,2024-03-01T00:00:00Z,login,web,").encode()),
    ("latin1-id", GOOD.encode() + "Cé99,2024-03-01T00:00:00Z,login,web,\n".encode("latin-1")),
    ("every-timestamp-bad", (HEADER + "C1,yesterday,login,web,\nC2,soon,login,web,\n").encode()),
    ("every-row-short", (HEADER + "C1\nC2\n").encode()),
    ("utf16", GOOD.encode("utf-16")),
    ("utf16-no-bom", GOOD.encode("utf-16-le")),
    ("whitespace-only", b"   \n\n  \n"),
    ("row-over-1mib", with_row("C01,2024-03-01T00:00:00Z," + "x" * 1_500_000 + ",web,").encode()),
]

# Rows that are wrong inside a usable log: the row is reported, the rest used.
ROW_PROBLEMS = [
    ("bad-timestamp", with_row("C01,not-a-date,login,web,")),
    ("year-1800", with_row("C01,1800-01-01T00:00:00Z,login,web,")),
    ("amount-text", with_row("C01,2024-03-01T00:00:00Z,purchase,web,twelve")),
    ("amount-huge", with_row("C01,2024-03-01T00:00:00Z,purchase,web,1e300")),
    ("amount-nan", with_row("C01,2024-03-01T00:00:00Z,purchase,web,nan")),
    ("too-many-fields", with_row("C01,2024-03-01T00:00:00Z,login,web,,extra,fields")),
    ("empty-id", with_row(",2024-03-01T00:00:00Z,login,web,")),
    ("escape-in-event", with_row("C01,2024-03-01T00:00:00Z,\x1b[31mred,web,")),
    ("nul-in-event", with_row("C01,2024-03-01T00:00:00Z,log\x00in,web,")),
    ("nul-in-quoted-channel", with_row('C01,2024-03-01T00:00:00Z,login,"w""\x00b",')),
]
# Bytes that are not UTF-8 in a name (a Latin-1 export).
LATIN1_ROWS = [
    ("latin1-channel", GOOD.encode() + "C01,2024-03-01T00:00:00Z,login,café,\n".encode("latin-1")),
]


def log_cases():
    cases = []
    for name, data in BAD_LOGS:
        for command in ("validate", "features", "train", "score", "journey"):
            cases.append((f"{command}-{name}", command, data))
    for name, text in ROW_PROBLEMS:
        for command in ("validate", "features", "train"):
            cases.append((f"{command}-{name}", command, text.encode()))
    for name, data in LATIN1_ROWS:
        for command in ("validate", "features", "train"):
            cases.append((f"{command}-{name}", command, data))
    return cases


def run(args, cwd, stdin=None):
    return subprocess.run([CHURNKIT, *map(str, args)], capture_output=True, cwd=cwd, input=stdin)


def command_args(command, log, out, model):
    common = ["--cutoff", "2024-09-30", "--horizon", "60d", "--churn-definition", "event:cancel"]
    return {
        "validate": ["validate", log],
        "features": ["features", "--events", log, *common, "--out", out],
        "train": ["train", "--events", log, *common, "--out", out],
        "score": ["score", "--model", model, "--events", log, "--as-of", "2024-09-30", "--out", out],
        "journey": ["journey", "--events", log, "--churn-definition", "event:cancel", "--out", out],
    }[command]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A folder with the good log and a model trained on it."""
    d = tmp_path_factory.mktemp("bad")
    (d / "good.csv").write_text(GOOD)
    (d / "long.csv").write_text(with_row("C01,2024-03-01T00:00:00Z," + "x" * 1_500_000 + ",web,"))
    r = run(["train", "--events", "good.csv", "--cutoff", "2024-09-30", "--horizon", "60d",
             "--churn-definition", "event:cancel", "--out", "model.json"], d)
    assert r.returncode == 0, r.stderr.decode()
    return d


TALLY = {"inputs": 0, "clean errors": 0, "accepted": 0, "crashes": 0, "outputs changed": 0, "temporary files": 0}


def check(work, name, args, expect_exit, fragment, out="out.file", stdin=None):
    """Runs one case and checks what every case must hold."""
    target = work / out
    target.write_bytes(BEFORE)
    r = run(args, work, stdin)
    # validate's report (with its verdict) is its data, on standard output.
    err = r.stderr.decode("utf-8", "replace") + (r.stdout.decode("utf-8", "replace") if args[0] == "validate" else "")
    TALLY["inputs"] += 1
    crashed = r.returncode < 0 or r.returncode in (132, 133, 134, 139)
    TALLY["crashes"] += crashed
    assert not crashed, (name, r.returncode, err)
    if r.returncode != 0:
        TALLY["clean errors"] += 1
        assert err.strip(), f"{name}: exit {r.returncode} without a message"
        TALLY["outputs changed"] += target.read_bytes() != BEFORE
        assert target.read_bytes() == BEFORE, f"{name}: a failed run replaced its output"
    else:
        TALLY["accepted"] += 1
    leftovers = [p.name for p in work.iterdir() if ".tmp-" in p.name]
    TALLY["temporary files"] += len(leftovers)
    assert not leftovers, (name, leftovers)
    assert r.returncode == expect_exit, (name, r.returncode, err)
    assert fragment in err, (name, fragment, err)
    target.unlink()


# What each bad log must give: (exit, fragment), the same for every command
# unless a command is named.
LOG_VERDICTS = {
    "empty": (1, "the file is empty (expected a header line)"),
    "header-only": (1, "no usable events"),
    "header-only/validate": (1, "Not usable: the file has a header but no data rows"),
    "header-only/journey": (1, "no event gives a stage"),
    "no-customer-column": (1, "no customer id column 'customer_id' in the header (columns: client, "),
    "no-timestamp-column": (1, "no timestamp column 'timestamp' in the header"),
    "no-event-column": (1, "no event column 'event' in the header"),
    "duplicate-column": (1, ".csv:1:5: column 'event' appears twice in the header (also column 3)"),
    "quote-never-closed": (1, ".csv:564: a quoted field opened here is never closed"),
    "png": (1, "looks like a binary file (it holds NUL bytes)"),
    "parquet": (1, "looks like a Parquet file, not CSV text: convert it to CSV first, e.g. duckdb"),
    "zip": (1, "looks like a ZIP archive"),
    "gzip-truncated": (1, "is not valid gzip data: data ends inside a gzip member"),
    "gzip-corrupt": (1, "is not valid gzip data"),
    "nul-in-id": (0, "1 errors (rows skipped), 0 warnings; the first: "),
    "nul-in-id/validate": (0, ".csv:564:1: error: customer id holds a NUL byte"),
    "latin1-id": (0, "1 errors (rows skipped), 0 warnings; the first: "),
    "latin1-id/validate": (0, ".csv:564:1: error: customer id is not valid UTF-8: convert the file to UTF-8"),
    "every-timestamp-bad": (1, "no usable events"),
    "every-timestamp-bad/validate": (1, "Not usable: no row could be read"),
    "every-timestamp-bad/journey": (1, "no event gives a stage"),
    "every-row-short": (1, "no usable events"),
    "every-row-short/validate": (1, "Not usable: no row could be read"),
    "every-row-short/journey": (1, "no event gives a stage"),
    "utf16": (1, "looks like UTF-16 text, not CSV text: convert it to UTF-8, e.g. iconv -f utf-16 -t utf-8"),
    "utf16-no-bom": (1, "looks like UTF-16 text, not CSV text: convert it to UTF-8, e.g. iconv -f utf-16le"),
    "whitespace-only": (1, "no customer id column 'customer_id' in the header"),
    "row-over-1mib": (1, ".csv:564: a record runs past 1 MiB (a quote never closed? a binary file?); if rows this long"),
    "bad-timestamp": (0, "1 errors (rows skipped), 0 warnings; the first: "),
    "bad-timestamp/validate": (0, ".csv:564:2: error: not a recognised timestamp"),
    "year-1800": (0, "1 errors (rows skipped), 0 warnings; the first: "),
    "year-1800/validate": (0, ".csv:564:2: error: year outside 1900–2200: a placeholder date"),
    "amount-text": (0, "0 errors (rows skipped), 1 warnings; the first: "),
    "amount-text/validate": (0, '.csv:564:5: warning: not a number; treated as missing (column "amount", value "twelve")'),
    "amount-huge": (0, "0 errors (rows skipped), 1 warnings; the first: "),
    "amount-huge/validate": (0, '.csv:564:5: warning: beyond ±10¹⁵; treated as missing (column "amount", value "1e300")'),
    "amount-nan": (0, "0 errors (rows skipped), 1 warnings; the first: "),
    "amount-nan/validate": (0, '.csv:564:5: warning: not a number; treated as missing (column "amount", value "nan")'),
    "too-many-fields": (0, "1 errors (rows skipped), 0 warnings; the first: "),
    "too-many-fields/validate": (0, ".csv:564: error: row has 7 fields, the header has 5"),
    "empty-id": (0, "1 errors (rows skipped), 0 warnings; the first: "),
    "empty-id/validate": (0, '.csv:564:1: error: customer id is empty (column "customer_id", value "")'),
    # The escape sequence is shown, never sent to the terminal.
    "escape-in-event": (0, "rows × 37 features"),  # login, purchase and the pool of the rare type
    "escape-in-event/validate": (0, "\\u{1b}[31mred"),
    "escape-in-event/train": (0, "saved out.file"),
    "nul-in-event": (0, "1 errors (rows skipped), 0 warnings; the first: "),
    "nul-in-event/validate": (0, ".csv:564:3: error: event type holds a NUL byte"),
    "nul-in-quoted-channel": (0, "1 errors (rows skipped), 0 warnings; the first: "),
    "nul-in-quoted-channel/validate": (0, ".csv:564:4: error: channel holds a NUL byte"),
    "latin1-channel": (0, "1 errors (rows skipped), 0 warnings; the first: "),
    "latin1-channel/validate": (0, ".csv:564:4: error: channel is not valid UTF-8: convert the file to UTF-8"),
}


def log_verdict(name):
    command, _, log = name.partition("-")
    return LOG_VERDICTS.get(f"{log}/{command}", LOG_VERDICTS[log])


@pytest.mark.parametrize("name,command,data", log_cases(), ids=[c[0] for c in log_cases()])
def test_bad_log(work, name, command, data):
    log = work / f"{name}.csv"
    log.write_bytes(data)
    expect_exit, fragment = log_verdict(name)
    check(work, name, command_args(command, log.name, "out.file", "model.json"), expect_exit, fragment)


MODEL_EDITS = [
    ("model-not-json", lambda raw: b"{ this is not json"),
    ("model-empty", lambda raw: b""),
    ("model-truncated", lambda raw: raw[: len(raw) // 2]),
    ("model-edited-not-resealed", lambda raw: raw.replace(b'"never_days" : 3650', b'"never_days" : 3651', 1)),
    ("model-newer-format", lambda raw: raw.replace(b'"formatVersion" : 3', b'"formatVersion" : 99', 1)),
    ("model-array", lambda raw: b"[1, 2, 3]"),
    ("model-binary", lambda raw: b"\x00\x01\x02" * 20),
    ("model-is-a-feature-spec", lambda raw: b'{"windows": [7, 30]}'),
]

SPECS = [
    ("spec-not-json", "{windows: [7]}"),
    ("spec-unknown-key", '{"windowz": [7, 30]}'),
    ("spec-windows-empty", '{"windows": []}'),
    ("spec-window-negative", '{"windows": [-5]}'),
    ("spec-window-text", '{"windows": "7"}'),
    ("spec-max-categories-zero", '{"max_categories": 0}'),
    ("spec-pool-name-empty", '{"pooled_event_types": ""}'),
    ("spec-unknown-event-type", '{"event_types": ["lgoin"]}'),
    ("spec-unknown-intervention", '{"interventions": ["discount"]}'),
    ("spec-rare-zero", '{"rare_category_min_customers": 0}'),
]

CATALOGS = [
    ("catalog-not-json", "[{"),
    ("catalog-object", '{"id": "call"}'),
    ("catalog-unknown-key", '[{"id": "call", "cost": 5, "colour": "red"}]'),
    ("catalog-no-id", '[{"cost": 5}]'),
    ("catalog-negative-cost", '[{"id": "call", "cost": -5}]'),
    ("catalog-cost-text", '[{"id": "call", "cost": "five"}]'),
    ("catalog-empty", "[]"),
    ("catalog-duplicate-id", '[{"id": "call", "cost": 5}, {"id": "call", "cost": 6}]'),
]

SCHEMAS = [
    ("schema-not-json", "{"),
    ("schema-unknown-key", '{"id_colum": "customer_id"}'),
    ("schema-column-absent", '{"customer_id": "client"}'),
    ("schema-wrong-type", '{"customer_id": 5}'),
]

TRAIN = ["train", "--events", "good.csv", "--cutoff", "2024-09-30", "--horizon", "60d",
         "--churn-definition", "event:cancel"]

# Calls that are wrong however good the data: (name, arguments, stdin).
CALLS = [
    ("unknown-command", ["trian"], None),
    ("unknown-option", [*TRAIN, "--out", "out.file", "--hoizon", "30d"], None),
    ("missing-out", TRAIN, None),
    ("missing-value", [*TRAIN, "--out"], None),
    ("exclusive-options", [*TRAIN, "--out", "out.file", "--cv", "5", "--l2", "1"], None),
    ("value-after-flag", [*TRAIN, "--out", "out.file", "--json=yes"], None),
    ("bad-duration", ["features", "--events", "good.csv", "--cutoff", "2024-09-30", "--horizon", "90x",
                      "--out", "out.file"], None),
    ("bad-date", ["features", "--events", "good.csv", "--cutoff", "2024-13-45", "--horizon", "60d",
                  "--out", "out.file"], None),
    ("cutoff-outside-data", ["features", "--events", "good.csv", "--cutoff", "2030-01-01", "--horizon", "60d",
                             "--out", "out.file"], None),
    ("churn-event-absent", ["features", "--events", "good.csv", "--cutoff", "2024-09-30", "--horizon", "60d",
                            "--churn-definition", "event:cancelled", "--out", "out.file"], None),
    ("events-missing", ["features", "--events", "nowhere.csv", "--cutoff", "2024-09-30", "--horizon", "60d",
                        "--out", "out.file"], None),
    ("out-missing-folder", [*TRAIN, "--out", "no/such/folder/model.json"], None),
    ("out-is-a-folder", [*TRAIN, "--out", "."], None),
    ("stdin-empty", ["features", "--events", "-", "--cutoff", "2024-09-30", "--horizon", "60d",
                     "--out", "out.file"], b""),
    ("row-limit-raised", ["features", "--events", "long.csv", "--cutoff", "2024-09-30", "--horizon", "60d",
                          "--max-row-mib", "2", "--out", "out.file"], None),
    ("row-limit-zero", ["features", "--events", "good.csv", "--cutoff", "2024-09-30", "--horizon", "60d",
                        "--max-row-mib", "0", "--out", "out.file"], None),
    ("clv-unknown-purchase-event", ["clv", "--events", "good.csv", "--as-of", "2024-09-30", "--purchase-event", "purchse",
                                    "--out", "out.file"], None),
    ("clv-no-repeat-purchases", ["clv", "--events", "good.csv", "--as-of", "2024-01-31", "--out", "out.file"], None),
    ("clv-discount-rate", ["clv", "--events", "good.csv", "--as-of", "2024-09-30", "--discount-rate", "1.5",
                           "--out", "out.file"], None),
    ("negative-l2", [*TRAIN, "--out", "out.file", "--l2", "-1"], None),
    ("holdout-one", [*TRAIN, "--out", "out.file", "--holdout", "1"], None),
    ("score-without-model", ["score", "--model", "nowhere.json", "--events", "good.csv", "--out", "out.file"], None),
    ("export-unknown-format", ["export", "--model", "model.json", "--format", "xlsx"], None),
    ("export-unknown-dialect", ["export", "--model", "model.json", "--format", "sql", "--dialect", "oracle"], None),
    ("generate-negative", ["generate", "--customers", "-5", "--out", "out.file"], None),
    ("generate-incidents-alone", ["generate", "--incidents", "none", "--out", "out.file"], None),
    ("touchpoints-funnel-period-alone", ["touchpoints", "--events", "good.csv", "--funnel-period", "day",
                                         "--out", "out.file"], None),
    ("touchpoints-unknown-funnel-step", ["touchpoints", "--events", "good.csv", "--funnel", "login,purchse",
                                         "--out", "out.file"], None),
    ("touchpoints-compare-no-value", ["touchpoints", "--events", "good.csv", "--compare", "plan",
                                      "--out", "out.file"], None),
    ("touchpoints-period-backwards", ["touchpoints", "--events", "good.csv", "--compare-periods",
                                      "2024-06-30..2024-06-01", "--out", "out.file"], None),
    ("touchpoints-fdr-zero", ["touchpoints", "--events", "good.csv", "--changes", "--fdr", "0",
                              "--out", "out.file"], None),
    ("sqlite-location-no-table", ["features", "--events", "sqlite:good.db", "--cutoff", "2024-09-30", "--horizon",
                                  "60d", "--out", "out.file"], None),
    ("sqlite-missing-file", ["features", "--events", "sqlite:missing.db?table=events", "--cutoff", "2024-09-30",
                             "--horizon", "60d", "--out", "out.file"], None),
    ("sqlite-not-a-database", ["features", "--events", "sqlite:good.csv?table=events", "--cutoff", "2024-09-30",
                               "--horizon", "60d", "--out", "out.file"], None),
    ("postgres-location-no-table", ["features", "--events", "postgres://localhost/shop", "--cutoff", "2024-09-30",
                                    "--horizon", "60d", "--out", "out.file"], None),
    ("score-jsonl-into-a-table", ["score", "--model", "model.json", "--events", "good.csv", "--as-of", "2024-09-30",
                                  "--format", "jsonl", "--out", "sqlite:out.db?table=scores"], None),
    ("sql-decide-without-actions", ["export", "--model", "model.json", "--format", "sql-decide", "--as-of",
                                    "2024-09-30"], None),
]


def config_cases():
    cases = []
    for name, text in SPECS:
        cases.append((name, ["features", "--events", "good.csv", "--cutoff", "2024-09-30", "--horizon", "60d",
                             "--spec", "input.json", "--out", "out.file"], text.encode()))
    for name, text in CATALOGS:
        cases.append((name, [*TRAIN, "--actions", "input.json", "--out", "out.file"], text.encode()))
    for name, text in SCHEMAS:
        cases.append((name, ["features", "--events", "good.csv", "--schema", "input.json", "--cutoff", "2024-09-30",
                             "--horizon", "60d", "--out", "out.file"], text.encode()))
    return cases


EXPECTED_OTHER = {
    "generate-incidents-alone": (64, "Invalid value 'none' for '--incidents': it only applies with --clickstream"),
    "touchpoints-funnel-period-alone": (64, "'--funnel-period': it only applies with --funnel or --funnels"),
    "touchpoints-unknown-funnel-step": (
        64, "the funnel step 'purchse' is not an event type of the log (did you mean 'purchase'?)"),
    "touchpoints-compare-no-value": (64, "Invalid value 'plan' for '--compare': expected column=value"),
    "touchpoints-period-backwards": (64, "expected a period as FIRST..LAST dates"),
    "touchpoints-fdr-zero": (64, "Invalid value '0' for '--fdr': expected a rate above 0 and below 1"),
    "model-not-json": (1, "damaged.json is not a ChurnKit model file: not valid JSON at line 1, column 3"),
    "model-empty": (1, "damaged.json is not a ChurnKit model file: the file is empty (expected JSON)"),
    "model-truncated": (1, "damaged.json is not a ChurnKit model file: not valid JSON: the text ends before"),
    "model-edited-not-resealed": (1, "damaged.json is damaged: its checksum does not match its contents"),
    "model-newer-format": (1, "damaged.json has model format 99, newer than this churnkit reads"),
    "model-array": (1, "damaged.json is not a ChurnKit model file: at the top level: expected an object"),
    "model-binary": (1, "damaged.json is not a ChurnKit model file: not valid JSON at line 1, column 1"),
    "model-is-a-feature-spec": (1, "damaged.json is not a ChurnKit model file: it has no model.formatVersion"),
    "spec-not-json": (1, "input.json: not valid JSON at line 1, column 2"),
    "spec-unknown-key": (1, "unknown setting 'windowz' in the feature spec. Did you mean 'windows'?"),
    "spec-windows-empty": (1, "'windows' is empty: give at least one window in days"),
    "spec-window-negative": (1, "window of -5 days: windows must be from 1 to 36500 days"),
    "spec-window-text": (1, "input.json: at windows: expected a list"),
    "spec-max-categories-zero": (1, "'max_categories' of 0: must be from 1 to 100000"),
    "spec-pool-name-empty": (1, "a pooled category's name is empty"),
    "spec-unknown-event-type": (1, "unknown event type 'lgoin' in the feature spec. Did you mean 'login'?"),
    "spec-unknown-intervention": (1, "unknown intervention event type 'discount' in the feature spec"),
    "spec-rare-zero": (1, "'rare_category_min_customers' must be at least 1"),
    "catalog-not-json": (1, "input.json: not valid JSON: the text ends before the document does"),
    "catalog-object": (1, "input.json: at the top level: expected a list"),
    "catalog-unknown-key": (1, "input.json: unknown key 'colour'"),
    "catalog-no-id": (1, "input.json: at [0]: the key 'id' is missing"),
    "catalog-negative-cost": (1, "input.json: action 'call': cost must be a non-negative number"),
    "catalog-cost-text": (1, "input.json: at [0].cost: expected a number"),
    "catalog-empty": (1, "input.json: the catalog has no action"),
    "catalog-duplicate-id": (1, "input.json: action 'call' is listed twice"),
    "schema-not-json": (1, "input.json: not valid JSON: the text ends before the document does"),
    "schema-unknown-key": (1, "input.json: unknown key 'id_colum' (expected customer_id, timestamp"),
    "schema-column-absent": (1, "good.csv: no customer id column 'client' in the header"),
    "schema-wrong-type": (1, "input.json: at customer_id: expected a string"),
    "unknown-command": (64, "Unknown command 'trian'. Did you mean 'train'?"),
    "unknown-option": (64, "Unknown option '--hoizon'. Did you mean '--horizon'?"),
    "missing-out": (64, "--out is required."),
    "missing-value": (64, "Missing value for '--out <file>'."),
    "exclusive-options": (64, "--cv and --l2 cannot be used together."),
    "value-after-flag": (64, "Option '--json' takes no value."),
    "bad-duration": (1, "invalid duration '90x': expected a whole number followed by d (days)"),
    "bad-date": (1, "invalid cutoff '2024-13-45': expected a date (YYYY-MM-DD"),
    "cutoff-outside-data": (1, "cutoff 2030-01-01 is outside the data (events from 2024-01-01T09:00:00Z"),
    "churn-event-absent": (1, "the churn event 'cancelled' never occurs in the events (event types: cancel, login, purchase)"),
    "events-missing": (1, "cannot open nowhere.csv: No such file or directory"),
    "out-missing-folder": (1, "cannot open no/such/folder/model.json: No such file or directory"),
    "out-is-a-folder": (1, "cannot open .: it is a directory"),
    "stdin-empty": (1, "-: the file is empty (expected a header line)"),
    "row-limit-raised": (0, "40 rows × 37 features"),
    "row-limit-zero": (64, "Invalid value '0' for '--max-row-mib': expected a whole number from 1 to 4096."),
    "clv-unknown-purchase-event": (1, "good.csv has no event type 'purchse' (--purchase-event). Did you mean 'purchase'?"),
    "clv-no-repeat-purchases": (1, "customers bought again after their first purchase day"),
    "clv-discount-rate": (64, "Invalid value '1.5' for '--discount-rate': expected a number from 0 to below 1"),
    "negative-l2": (64, "Invalid value '-1' for '--l2': expected a number at or above 0."),
    "holdout-one": (64, "Invalid value '1' for '--holdout': expected a fraction between 0 and 1"),
    "score-without-model": (1, "cannot read model nowhere.json"),
    "export-unknown-format": (64, "Invalid value 'xlsx' for '--format': expected one of csv, json, sql, pmml."),
    "export-unknown-dialect": (64, "Invalid value 'oracle' for '--dialect'"),
    "sqlite-location-no-table": (1, "cannot open sqlite:good.db: write a SQLite table as sqlite:PATH?table=NAME"),
    "sqlite-missing-file": (1, "cannot open sqlite:missing.db?table=events: unable to open database file"),
    "sqlite-not-a-database": (1, "cannot open sqlite:good.csv?table=events: file is not a database"),
    "postgres-location-no-table": (1, "cannot open postgres://localhost/shop: name the table"),
    "score-jsonl-into-a-table": (64, "a database table takes the CSV columns: drop --format"),
    "sql-decide-without-actions": (1, "the model has no actions: train it with --actions"),
    "generate-negative": (64, "Invalid value '-5' for '--customers': expected a whole number from 1 to 50000000."),
}


@pytest.mark.parametrize("name,edit", MODEL_EDITS, ids=[m[0] for m in MODEL_EDITS])
@pytest.mark.parametrize("command", ["score", "export"])
def test_damaged_model(work, name, edit, command):
    (work / "damaged.json").write_bytes(edit((work / "model.json").read_bytes()))
    args = (["score", "--model", "damaged.json", "--events", "good.csv", "--as-of", "2024-09-30", "--out", "out.file"]
            if command == "score" else ["export", "--model", "damaged.json", "--format", "sql", "--out", "out.file"])
    expect_exit, fragment = EXPECTED_OTHER[name]
    check(work, f"{command}-{name}", args, expect_exit, fragment)


@pytest.mark.parametrize("name,args,data", config_cases(), ids=[c[0] for c in config_cases()])
def test_bad_configuration(work, name, args, data):
    (work / "input.json").write_bytes(data)
    expect_exit, fragment = EXPECTED_OTHER[name]
    check(work, name, args, expect_exit, fragment)


@pytest.mark.parametrize("name,args,stdin", CALLS, ids=[c[0] for c in CALLS])
def test_wrong_call(work, name, args, stdin):
    expect_exit, fragment = EXPECTED_OTHER[name]
    check(work, name, args, expect_exit, fragment, stdin=stdin)


def peak_memory_mb(args, cwd):
    """Runs churnkit under a helper process whose only child it is; returns
    (exit code, peak resident memory in MB)."""
    helper = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True); "
              "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)")
    out = subprocess.run([sys.executable, "-c", helper, CHURNKIT, *map(str, args)], capture_output=True, text=True,
                         cwd=cwd, check=True).stdout.split()
    return int(out[0]), int(out[1])


def test_a_hundred_thousand_event_types_stay_within_bounded_memory(tmp_path):
    """100,000 distinct event types and 5,000 channels among 2,000 customers
    (4 MB): 6.4 GB and 255,016 columns before the vocabulary cap; now at most
    `max_categories` + 1 slots per family and customer. Bound: 400 MB for
    any command (a release build peaks near 100 MB)."""
    rows = ["customer_id,timestamp,event,channel"]
    for i in range(100_000):
        rows.append(f"c{i % 2000},2025-0{1 + i % 6}-{1 + i % 28:02d}T10:00:00Z,type{i},ch{i % 5000}")
    (tmp_path / "wide.csv").write_text("\n".join(rows) + "\n")
    common = ["--events", "wide.csv", "--horizon", "30d"]
    runs = {
        "features": ["features", *common, "--cutoff", "2025-04-01", "--out", "f.csv"],
        "train": ["train", *common, "--cutoff", "2025-04-01", "--out", "m.json"],
        "score": ["score", "--model", "m.json", "--events", "wide.csv", "--as-of", "2025-05-01", "--out", "s.csv"],
        "validate": ["validate", "wide.csv"],
        "journey": ["journey", "--events", "wide.csv", "--out", "j.html"],  # no type gives a stage: exit 1
    }
    for name, args in runs.items():
        code, peak = peak_memory_mb(args, tmp_path)
        assert code == (1 if name == "journey" else 0), name
        assert peak < 400, (name, peak)
    header = (tmp_path / "f.csv").read_text().splitlines()[0].split(",")
    assert len(header) < 20, len(header)  # every type and channel is rare: no per-type columns
    assert json.load(open(tmp_path / "m.json"))["model"]["featureSpec"]["event_types"] == []


def test_tally_reports_no_crash_and_no_damage():
    """Runs last in this file: prints the figures for docs/reliability.md."""
    print("\nbad-input corpus:", TALLY)
    assert TALLY["crashes"] == 0
