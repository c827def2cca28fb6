"""Stage 7, validate: expectations, fidelity, utility and privacy of a synthetic table, in one call."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..domain import Domain, data_domain
from ..errors import SynthRecordsError
from ..progress import stage
from .attacks import Attacks, attacks
from .charts import associations, distributions, pairs
from .detection import Detection, detection
from .encoding import subsample
from .expectations import ExpectationResults, build_suite, load_suites, run_suites
from .metrics import Fidelity, PrivacyMetrics, fidelity, privacy
from .utility import Utility, utility

log = logging.getLogger(__name__)

MAX_REFERENCE_ROWS = 20_000  # real rows the suites also run on, for comparison
# Optional measurements; expectations, the SDMetrics quality report and the distance
# metrics always run.
OPTIONAL = ("charts", "detection", "utility", "attacks")


@dataclass
class ValidationReport:
    expectations: ExpectationResults
    fidelity: Fidelity
    privacy: PrivacyMetrics
    utility: Utility | None = None
    detection: Detection | None = None
    attacks: Attacks | None = None
    charts: dict[str, Any] = field(default_factory=dict)  # aggregates report.html plots
    timings: dict[str, float] = field(default_factory=dict)  # seconds per part
    # The suites that were run, so a release folder can carry them beside their results.
    suites_used: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        """True when no blocking expectation of any suite failed."""
        return self.expectations.success

    def to_dict(self) -> dict[str, Any]:
        """The four sections of report.json this stage measures."""
        return {
            "expectations": self.expectations.to_dict(),
            "fidelity": {
                **self.fidelity.to_dict(),
                "detection": None if self.detection is None else self.detection.to_dict(),
                "distributions": self.charts.get("distributions", []),
                "associations": self.charts.get("associations"),
                "pairs": self.charts.get("pairs"),  # joint shares for the dashboard's pair plot
            },
            "utility": None if self.utility is None else self.utility.to_dict(),
            "privacy": {
                **self.privacy.to_dict(),
                "attacks": None if self.attacks is None else self.attacks.to_dict(),
            },
        }

    def sample_sizes(self) -> dict[str, Any]:
        """Rows each measurement used: the expensive ones run on seeded samples."""
        return {
            "expectations": "every synthetic row",
            "expectations_reference_real": (self.expectations.reference or {}).get("rows"),
            "fidelity": self.fidelity.rows_used,
            "detection": None if self.detection is None else self.detection.rows_used,
            "utility": None if self.utility is None else self.utility.rows_used,
            "privacy": self.privacy.rows_used,
            "attacks": None if self.attacks is None else self.attacks.rows_used,
        }


def validate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    *,
    domain: Domain | None = None,
    suites: list | None = None,
    suites_dir: Path | None = None,
    target: str | None = None,
    withheld: Iterable[str] | Mapping[str, Iterable[str]] = (),
    measures: Iterable[str] = OPTIONAL,
    seed: int = 0,
) -> ValidationReport:
    """Check ``synthetic`` against expectation suites and measure fidelity, utility and privacy.

    ``real`` is the training data (the rows the model saw); ``holdout``, real rows it did not
    see, enables utility (with ``target``), the holdout DCR comparison, the membership
    attack and the singling-out/linkability/inference attacks. Suites default to
    ``build_suite(domain)``; those in ``suites_dir`` (every ``*.json``) are added.
    Expectations run on the whole synthetic table (and, for reference, on a sample of
    ``real``), so user suites may check columns outside the domain (the format of fake
    emails); the metrics compare the domain columns present in both tables. A domain column
    missing from ``synthetic`` is a failed expectation, not an error. ``withheld``: real
    identifier values (or a mapping column -> values) a failing example must never show.
    ``measures``: which of OPTIONAL to run (all by default).

    Without ``domain``, it is read off ``real`` with ``data_domain``: exact categories and
    extremes of the real data, outside any privacy budget. That is fine here because the
    validation results are for the data owner who already holds the data; they are not part
    of a DP release and must not be shipped with one. Pass the released domain (the fitted
    model's ``domain_``) whenever there is one, and only the modelled columns of ``real``
    otherwise: a direct identifier read as a category set would fail on every fake value.
    """
    if domain is None:
        log.info("validate: no domain given; reading it off the real data (not a DP release)")
        domain = data_domain(real)
    chosen = list(suites) if suites is not None else [build_suite(domain)]
    if suites_dir is not None:
        chosen += load_suites(Path(suites_dir))
    if isinstance(withheld, Mapping):
        withheld = [v for values in withheld.values() for v in values]
    measures = set(measures)
    unknown = measures - set(OPTIONAL)
    if unknown:
        raise ValueError(f"validate: unknown measures {sorted(unknown)}; choose from {OPTIONAL}")
    if target is not None and target not in domain.names:  # before the slow part
        raise SynthRecordsError(
            f"target column {target!r} is not among the compared columns "
            f"({', '.join(domain.names)}); pass one of them with --target"
        )

    timings: dict[str, float] = {}
    with _timed(timings, "expectations"):
        reference = _as_released_text(subsample(real, MAX_REFERENCE_ROWS, seed), domain)
        results = run_suites(_as_released_text(synthetic, domain), chosen, withheld=withheld,
                             reference=reference)
    fid, charts, det, util, priv, att = measure(real, synthetic, holdout, domain, target=target, measures=measures,
                                                seed=seed, timings=timings)
    log.info(
        "validate: %d of %d expectations passed (%d blocking failed); fidelity %s; detection "
        "AUC %s; utility %s; DCR median %s",
        results.passed, results.evaluated, results.blocking_failed, fid.quality_score,
        det and det.auc, util and util.status, priv.dcr.median,
    )
    return ValidationReport(
        expectations=results, fidelity=fid, privacy=priv, utility=util, detection=det,
        attacks=att, charts=charts, timings=timings, suites_used=chosen,
    )


def measure(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None, domain: Domain, *,
            target: str | None, measures: Iterable[str], seed: int, timings: dict[str, float]
            ) -> tuple[Fidelity, dict[str, Any], Detection | None, Utility | None, PrivacyMetrics, Attacks | None]:
    """Every figure beyond the expectations (fidelity and privacy always, the ``OPTIONAL``
    ones asked for), each timed into ``timings``; the pandas and Spark validators share it."""
    charts, det, util, att = {}, None, None, None
    with _timed(timings, "fidelity"):
        fid = fidelity(real, synthetic, domain, seed=seed)
    if "charts" in measures:
        with _timed(timings, "charts"):
            charts = {"distributions": distributions(real, synthetic, domain, seed=seed),
                      "associations": associations(real, synthetic, domain, seed=seed),
                      "pairs": pairs(real, synthetic, domain, seed=seed)}
    if "detection" in measures:
        with _timed(timings, "detection"):
            det = detection(real, synthetic, domain, seed=seed)
    if "utility" in measures:
        with _timed(timings, "utility"):
            util = utility(real, synthetic, holdout, domain, target, seed=seed)
    with _timed(timings, "privacy_distances"):
        priv = privacy(real, synthetic, domain, holdout=holdout, seed=seed)
    if "attacks" in measures:
        with _timed(timings, "privacy_attacks"):
            att = attacks(real, synthetic, holdout, domain, seed=seed)
    return fid, charts, det, util, priv, att


@contextmanager
def _timed(timings: dict[str, float], part: str):
    start = time.perf_counter()
    try:
        with stage(f"validate {part.replace('_', ' ')}"):
            yield
    finally:
        timings[part] = round(time.perf_counter() - start, 3)


def _as_released_text(df: pd.DataFrame, domain: Domain) -> pd.DataFrame:
    """Datetime columns held as datetime64 written in the domain's format, as they would be
    in the released CSV, so the strftime-format expectation checks what a reader will get."""
    converted = {}
    for col in domain:
        if (
            col.kind == "datetime"
            and col.name in df.columns
            and pd.api.types.is_datetime64_any_dtype(df[col.name])
        ):
            converted[col.name] = df[col.name].dt.strftime(col.datetime_format or "%Y-%m-%d")
    return df.assign(**converted) if converted else df
