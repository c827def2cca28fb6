"""The Spark session for ``--engine spark``: local[*] by default, any cluster by URL.

``master`` (``--spark-master``) takes a classic master URL (``local[2]``, ``spark://host:7077``,
``yarn``) or a Spark Connect URL (``sc://host:15002``); without one, ``SPARK_REMOTE`` picks a
Spark Connect server, else ``local[*]``. Nothing is ever downloaded: no ``spark.jars.packages``
is set, and one set by the user is refused, because an Ivy resolve would reach the network.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from typing import Any

from ..errors import SynthRecordsError

log = logging.getLogger(__name__)

DEFAULT_MASTER = "local[*]"
INSTALL_HINT = "install the extra: pip install 'synthrecords[spark]' (or run `make test-spark`)"
JAVA_HINT = "Spark needs Java 17 or 21: apt-get install openjdk-17-jre-headless, or set JAVA_HOME"
# Local defaults: the UI port and a big shuffle fan-out only cost time on one machine.
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": "4g",
}


def require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SynthRecordsError(f"--engine spark needs pyspark, which is not installed; {INSTALL_HINT}") from None


def java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and os.path.exists(os.path.join(home, "bin", "java"))))


def resolve_master(master: str | None = None) -> str:
    """The URL the session connects to: the argument, else SPARK_REMOTE, else local[*]."""
    return master or os.environ.get("SPARK_REMOTE") or DEFAULT_MASTER


def get_session(master: str | None = None, *, conf: dict[str, Any] | None = None,
                app_name: str = "synthrecords") -> Any:
    """A SparkSession for ``master`` (see the module docstring); reuses a running one."""
    require_pyspark()
    from pyspark.sql import SparkSession

    url = resolve_master(master)
    settings = dict(conf or {})
    if "spark.jars.packages" in settings:
        raise SynthRecordsError("spark conf 'spark.jars.packages' would download jars at run time; put the jars "
                                "on the cluster's classpath (spark.jars with local paths) instead")
    if url.startswith("sc://"):
        builder = SparkSession.builder.remote(url)
        for key, value in settings.items():
            builder = builder.config(key, value)
        try:
            return builder.getOrCreate()
        except ImportError as exc:
            raise SynthRecordsError(f"--spark-master {url}: Spark Connect needs extra packages ({exc}); "
                                    "pip install 'pyspark[connect]' with -c constraints.txt") from None
    if not java_available():
        raise SynthRecordsError(f"--engine spark with master {url!r}: no Java found; {JAVA_HINT}")
    if url.startswith("local"):
        # Python workers must run this interpreter (the venv with pandas and pyarrow),
        # not whatever `python3` is first on PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        settings = {**LOCAL_CONF, **settings}
    builder = SparkSession.builder.master(url).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # py4j/JVM start-up errors carry no useful type
        raise SynthRecordsError(f"cannot start Spark with master {url!r}: {exc}; check --spark-master / "
                                f"SPARK_REMOTE, and Java ({JAVA_HINT})") from exc
    spark.sparkContext.setLogLevel("ERROR")
    log.info("spark session: master %s, default parallelism %s", url, spark.sparkContext.defaultParallelism)
    return spark


def is_connect(spark: Any) -> bool:
    """True for a Spark Connect session (no SparkContext, no JVM on this side)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def parallelism(spark: Any) -> int:
    if is_connect(spark):
        return int(spark.conf.get("spark.default.parallelism", "8") or 8)
    return int(spark.sparkContext.defaultParallelism)
