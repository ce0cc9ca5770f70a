"""An interrupted run leaves nothing behind: on SIGINT or SIGTERM the
temporary file of an output not yet committed, and the private copy that
--interventions makes of the log, are removed before the process ends as
the signal says; the old output, if any, is untouched."""
import os
import signal
import subprocess
import time

from test_features import CHURNKIT, ROOT

MODEL = os.path.join(ROOT, "models", "churn-model.json")
LOG = ["--events", "training-data/events.csv", "--customers", "training-data/customers.csv"]


def wait_for(predicate, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def big_feature_file(tmp_path, copies):
    """The shipped sample's features at 2025-06-30, `copies` times over."""
    sample = tmp_path / "sample.csv"
    subprocess.run([CHURNKIT, "features", *LOG, "--cutoff", "2025-06-30", "--horizon", "90d",
                    "--churn-definition", "event:cancel", "--spec", "models/feature-spec.json",
                    "--out", str(sample)], check=True, capture_output=True, cwd=ROOT)
    header, *rows = sample.read_text().splitlines()
    big = tmp_path / "big.csv"
    big.write_text(header + "\n" + ("\n".join(rows) + "\n") * copies)
    return big


def test_sigint_during_scoring_removes_the_temporary_file(tmp_path):
    big = big_feature_file(tmp_path, 60)
    out = tmp_path / "scores.csv"
    out.write_text("the old scores\n")
    process = subprocess.Popen([CHURNKIT, "score", "--model", MODEL, "--features", str(big), "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    temporaries = lambda: [p for p in os.listdir(tmp_path) if p.startswith(".scores.csv.tmp-")]
    assert wait_for(lambda: temporaries() or process.poll() is not None)
    assert process.poll() is None, "scoring ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == -signal.SIGINT
    assert temporaries() == []
    assert out.read_text() == "the old scores\n"


def test_sigterm_removes_the_merged_copy_of_the_log(tmp_path):
    interventions = tmp_path / "campaigns.csv"
    interventions.write_text("customer_id,timestamp,action\nC0000100,2025-03-01T10:00:00Z,loyalty_call\n")
    private = tmp_path / "tmp"
    private.mkdir()
    process = subprocess.Popen(
        [CHURNKIT, "features", *LOG, "--interventions", str(interventions), "--cutoff", "2025-06-30",
         "--horizon", "90d", "--churn-definition", "event:cancel", "--out", str(tmp_path / "f.csv")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env={**os.environ, "TMPDIR": str(private)})
    copies = lambda: [p for p in os.listdir(private) if p.startswith("churnkit-")]
    assert wait_for(lambda: copies() or process.poll() is not None)
    assert process.poll() is None, "the run ended before it could be interrupted"
    directory = private / copies()[0]
    assert oct(directory.stat().st_mode & 0o777) == "0o700"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == -signal.SIGTERM
    assert copies() == []
    assert not (tmp_path / "f.csv").exists()


def test_kill_9_leaves_the_old_file_or_the_new_one(tmp_path):
    """SIGKILL at random moments of score, features and train: the output is
    always the old complete file or the new complete one, and the next run
    removes what the killed ones left behind."""
    import random
    big = big_feature_file(tmp_path, 20)
    commands = {
        "scores.csv": [CHURNKIT, "score", "--model", MODEL, "--features", str(big)],
        "features.csv": [CHURNKIT, "features", *LOG, "--cutoff", "2025-06-30", "--horizon", "90d",
                         "--churn-definition", "event:cancel", "--spec", "models/feature-spec.json"],
        "model.json": [CHURNKIT, "train", *LOG, "--cutoff", "2025-06-30", "--horizon", "90d",
                       "--churn-definition", "event:cancel", "--l2", "1"],
    }
    rng = random.Random(7)
    for name, command in commands.items():
        out = tmp_path / name
        reference = tmp_path / ("reference-" + name)
        start = time.time()
        subprocess.run(command + ["--out", str(reference)], check=True, capture_output=True, cwd=ROOT)
        duration = time.time() - start
        new = reference.read_bytes()
        old = b"the old file\n"
        out.write_bytes(old)
        for _ in range(10):
            process = subprocess.Popen(command + ["--out", str(out)], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, cwd=ROOT)
            time.sleep(rng.uniform(0, duration * 1.1))
            process.kill()
            process.wait()
            assert out.read_bytes() in (old, new)
        subprocess.run(command + ["--out", str(out)], check=True, capture_output=True, cwd=ROOT)
        assert out.read_bytes() == new
        assert [p for p in os.listdir(tmp_path) if p.startswith(f".{name}.tmp-")] == []
