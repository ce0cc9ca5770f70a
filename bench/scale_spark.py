"""bench/scale.sh: ChurnKit's exported feature query (Spark SQL) over the
events in Parquet, in a local Spark session on every core; the features are
written to Parquet (in a temporary folder) so that Spark computes them all."""
import os
import shutil
import sys
import tempfile

from pyspark.sql import SparkSession

events, query, jvm_peak = sys.argv[1:4]
spark = (SparkSession.builder.master("local[*]").appName("churnkit-scale")
         .config("spark.ui.enabled", "false").config("spark.driver.memory", "12g")
         .config("spark.sql.session.timeZone", "UTC").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
spark.read.parquet(events).createOrReplaceTempView("events")
out = tempfile.mkdtemp(prefix="churnkit-scale-")
try:
    spark.sql(open(query).read().rstrip().rstrip(";")).write.mode("overwrite").parquet(os.path.join(out, "f"))
    rows = spark.read.parquet(os.path.join(out, "f")).count()
    print(f"{rows} customers' features", file=sys.stderr)
    # The JVM is the gateway's child process: its own high-water mark.
    status = open(f"/proc/{spark.sparkContext._gateway.proc.pid}/status").read()
    peak = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    open(jvm_peak, "w").write(f"{int(peak) / 1024:.0f} MB\n")
finally:
    spark.stop()
    shutil.rmtree(out, ignore_errors=True)
