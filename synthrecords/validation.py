"""Stage 7, validate: expectation suites, fidelity and privacy of a synthetic table, in one call."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .domain import Domain, data_domain
from .expectations import ExpectationResults, build_suite, load_suites, run_suites
from .metrics import Fidelity, PrivacyMetrics, fidelity, privacy

log = logging.getLogger(__name__)


@dataclass
class ValidationReport:
    expectations: ExpectationResults
    fidelity: Fidelity
    privacy: PrivacyMetrics
    # The suites that were run, so a release folder can carry them beside their results.
    suites_used: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        """True when every expectation of every suite held."""
        return self.expectations.success

    def to_dict(self) -> dict[str, Any]:
        return {
            "expectations": self.expectations.to_dict(),
            "fidelity": self.fidelity.to_dict(),
            "privacy": self.privacy.to_dict(),
        }


def validate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    *,
    domain: Domain | None = None,
    suites: list | None = None,
    suites_dir: Path | None = None,
) -> ValidationReport:
    """Check ``synthetic`` against expectation suites and measure its fidelity and privacy.

    ``real`` is the training data (the rows the model saw); ``holdout``, real rows it did not
    see, enables the memorisation figure. Suites default to ``build_suite(domain)``; those in
    ``suites_dir`` (every ``*.json``) are added. Expectations run on the whole synthetic
    table, so user suites may check columns outside the domain (the format of fake emails);
    fidelity and privacy compare the domain columns present in both tables. A domain column
    missing from ``synthetic`` is a failed expectation, not an error.

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

    results = run_suites(_as_released_text(synthetic, domain), chosen)
    fid = fidelity(real, synthetic, domain)
    priv = privacy(real, synthetic, domain, holdout=holdout)
    log.info(
        "validate: %d of %d expectations passed; fidelity %s; DCR median %s",
        results.passed,
        results.evaluated,
        fid.quality_score,
        priv.dcr.median,
    )
    return ValidationReport(expectations=results, fidelity=fid, privacy=priv, suites_used=chosen)


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
