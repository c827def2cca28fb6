"""``--engine spark``: the data-parallel stages on Apache Spark (optional extra ``synthrecords[spark]``).

One module per stage, each mirroring its pandas counterpart and reusing its functions per
partition: ``session`` (local[*] or a cluster URL), ``scan``, ``protect``, ``domain`` (DP
counts on the executors, noise once on the driver), ``train`` (fit on a Poisson sample),
``sample`` (parallel generation to Parquet; ``shaped``: class mix, conditions and filter per
partition; ``unique``: unique fakes across partitions), ``validate`` (GX on Spark, metrics on
samples), ``leakage`` (the leakage check as joins), ``pipeline`` (the `validate` verb and a
Spark-native ``run_job``).
Importing this package needs no pyspark; the stages say how to install it when it is missing.
"""

from .session import get_session, java_available, require_pyspark

__all__ = ["get_session", "java_available", "require_pyspark"]
