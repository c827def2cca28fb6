"""The row count under DP: released once, as a noisy count, and the only count used after it.

Every mechanism in the ledger is calibrated for add/remove neighbours, and under that
relation the row count itself differs between neighbours. So the count is measured like
any other statistic, first: one record moves it by 1 (L2 sensitivity 1), it gets discrete
Gaussian noise (``privacy.noise``) of std ``z``, and it is its own ledger entry (stage
"rows", q = 1, one step). Whatever needs n afterwards reads the released count
(``PrivacyLedger.rows``): the default delta, dpctgan's sample rate, steps and fake rows per
step, the domain release's "other" mass, the ledger's details and the default number of
synthetic rows. All of that is post-processing.

**Its noise, before delta is known.** The default delta, ``1 / (10 n)``, comes from this
count, but the count's RDP curve needs no delta: a Gaussian count adds ``alpha / (2 z^2)`` at
every order. ``z`` is set so that the count takes ``SHARE`` of the rho (zCDP) of one Gaussian
that would spend all of epsilon at a planning delta (the user's delta, else ``PLAN_DELTA``):
``z = 1 / sqrt(2 SHARE rho)``, ``rho = (sqrt(epsilon + log(1/delta)) - sqrt(log(1/delta)))^2``
(Bun & Steinke 2016, Prop. 1.3, solved for rho). At epsilon 1 that is z = 54, 1 % of 5,000
rows, and the later stages keep about 99 % of their room. Nothing rests on the planning
delta being right: the domain release and DP-SGD are calibrated against the whole ledger,
this entry included, at the delta the run ends with, so the total lands within epsilon.

**Delta from the noisy count.** ``1 / (10 n)`` is computed at an upper bound of n (the
noisy count plus ``UPPER_Z`` std), so a low draw never loosens delta.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from .ledger import PrivacyLedger
from .noise import discrete_gaussian

log = logging.getLogger(__name__)
SHARE = 0.01  # of the rho of a Gaussian spending all of epsilon: later stages keep ~99 % of theirs
PLAN_DELTA = 1e-6  # the delta the count's noise is planned at when none is given (1 / (10 n) for n = 100,000)
UPPER_Z = 3.0  # the default delta is 1 / (10 (count + UPPER_Z std))


@dataclass(frozen=True)
class RowCount:
    """The row count a run uses: released under DP (``std`` > 0) or exact (no epsilon)."""

    rows: int  # at least 1
    std: float = 0.0  # the noise std of ``rows`` (0: exact)


def default_delta(n_rows: float) -> float:
    """Delta well below 1/n: 1 / (10 n)."""
    return 1.0 / (10 * max(math.ceil(n_rows), 1))


def noise_multiplier(epsilon: float, delta: float) -> float:
    """The count's noise std (sensitivity 1): ``SHARE`` of the rho that spends all of epsilon at ``delta``."""
    log_inv = math.log(1 / delta)
    rho = (math.sqrt(epsilon + log_inv) - math.sqrt(log_inv)) ** 2
    return 1.0 / math.sqrt(2 * SHARE * rho)


def release_row_count(n_rows: int, ledger: PrivacyLedger, *, set_delta: bool = False,
                      noise_seed: int | None = None) -> RowCount:
    """Charge the count to ``ledger``, measure it with noise, and keep it as ``ledger.rows``.

    ``set_delta`` (a first fit with no delta given): the ledger's delta is set from the noisy
    count, before any conversion needs it. ``noise_seed`` is for tests only: it voids the
    guarantee."""
    z = noise_multiplier(ledger.epsilon, PLAN_DELTA if set_delta else ledger.delta)
    if set_delta:
        ledger.delta = PLAN_DELTA  # until the count is out: its own entry's RDP needs no delta
    ledger.record("rows", noise_multiplier=z, detail="noisy row count (discrete Gaussian, L2 sensitivity 1); every "
                                                     "later use of n reads it")
    # -- measure: the only reading of real data here ---------------------------------
    if noise_seed is not None:
        log.warning("row count with a fixed noise seed: reproducible, but no privacy guarantee")
    rng = None if noise_seed is None else np.random.default_rng(noise_seed)  # None: secrets (the OS CSPRNG)
    noisy = int(n_rows + discrete_gaussian(z, 1, rng)[0])
    # -- post-processing -------------------------------------------------------------
    if set_delta:
        ledger.delta = default_delta(max(noisy, 0) + UPPER_Z * z)
    ledger.rows = max(noisy, 1)
    return RowCount(ledger.rows, z)
