"""synthrecords: differentially private synthetic tabular records, with the evidence."""

__version__ = "0.1.0"

from . import engines
from .errors import NotFittedError, SynthRecordsError

__all__ = [
    "NotFittedError",
    "SynthRecordsError",
    "Synthesizer",
    "__version__",
    "load_table",
    "run_job",
    "scan_pii",
    "synthesize",
    "validate",
]


def _fit_on_spark(synth, data):
    # Spark sits above the core: the face wires it in, so the core never imports it.
    from .spark.train import fit_source

    return fit_source(synth, data, master=synth.spark_master)


engines.register("spark", _fit_on_spark)


def __getattr__(name: str):
    # Heavy stages (torch, SDV, Presidio, GE, even pandas) load on first use, so `synthrecords --help` is fast.
    if name == "Synthesizer":
        from .synthesizer import Synthesizer
        return Synthesizer
    if name in ("synthesize", "run_job"):
        from . import pipeline
        return getattr(pipeline, name)
    if name == "scan_pii":
        from .pii.scan import scan_pii
        return scan_pii
    if name == "load_table":  # pandas: not needed for `synthrecords --help`
        from .read import load_table
        return load_table
    if name == "validate":
        from .validation.measure import validate
        return validate
    raise AttributeError(f"module 'synthrecords' has no attribute {name!r}")
