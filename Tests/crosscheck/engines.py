"""Real database engines for the SQL cross-checks, started by the tests
themselves and stopped afterwards: a PostgreSQL server (Debian's
`postgresql` package) on a Unix socket in a private temporary folder, with no
TCP port. `initdb` refuses to run as root, so as root the server runs as the
`postgres` system user the package creates."""
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile


def postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert found, "PostgreSQL is not installed: scripts/bootstrap --python installs it"
    return os.path.dirname(found[-1])


@contextlib.contextmanager
def postgres_server():
    """Yields psycopg2 connection arguments for a fresh server."""
    bin_dir = postgres_bin()
    root = tempfile.mkdtemp(prefix="churnkit-pg-")
    data, sockets = os.path.join(root, "data"), os.path.join(root, "sockets")
    os.makedirs(sockets)
    run_as = []
    if os.getuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chmod(root, 0o755)
        for folder in (root, sockets):
            os.chown(folder, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*run_as, f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "churnkit", "-E", "UTF8",
                    "--no-sync"], check=True, capture_output=True)
    subprocess.run([*run_as, f"{bin_dir}/pg_ctl", "-D", data, "-l", os.path.join(root, "log"), "-w", "-o",
                    f"-k {sockets} -h '' -F", "start"], check=True, capture_output=True)
    try:
        yield {"host": sockets, "user": "churnkit", "dbname": "postgres"}
    finally:
        subprocess.run([*run_as, f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def spark_session():
    """A local Spark session (pyspark from PyPI on the machine's Java), one
    core, no UI."""
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[1]").appName("churnkit-tests")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
             .config("spark.driver.memory", "1g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()
