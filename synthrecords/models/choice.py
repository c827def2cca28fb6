"""``model = "auto"`` (the default with an epsilon): ``marginals`` or ``dpctgan`` from public
facts about the table.

The choice reads the released domain only (how many columns are modelled, their kinds, how
many cells their grid has): public, or already paid for. It never reads the rows, so it costs
nothing and needs no entry in the ledger. The rule rests on bench_peers (bench/RESULTS.md,
issue 23, epsilon 1 and 3): marginals had the better quality on ISLR Default (4 columns, 2
continuous), AER CreditCard (12, 7), AER HealthInsurance (11, 2), gss_wages (11, 5) and
customers (15, 6); dpctgan won on modeldata credit_data (14 columns, 9 continuous,
heavy-tailed and strongly correlated amounts: pair trends 0.84 against 0.70), where noisy
marginals bin the numbers coarsely and lose their correlations. TSTR was mixed (marginals
ahead on Default and CreditCard, behind on gss_wages, and near chance on customers when the
target is not declared). On ISLR Caravan (86 columns of small integer codes) marginals scored
0.894 / 0.940 quality at epsilon 1 / 3 against dpctgan's 0.821 / 0.867 (one run each, TSTR near
chance for both when the target is not declared), once its size check stopped building a
junction tree for each of the 3,700 candidate pairs every round. Wider tables were not
measured: they go to dpctgan.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..domain import Domain

AUTO = "auto"
MAX_MARGINALS_COLUMNS = 90  # measured at 4 to 15 columns and at 86 (bench_peers: ISLR Caravan)
MAX_MARGINALS_CELLS = 10_000  # the largest 2-way grid the marginals model measures (aim.MAX_CELLS)
# Share of continuous columns (numbers and dates on a range, not codes) above which dpctgan
# models the table: measured 0.58 (marginals ahead) and 0.64 (dpctgan ahead)
MAX_CONTINUOUS_SHARE = 0.6


@dataclass
class ModelChoice:
    requested: str
    choice: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def grid_size(column) -> int:
    """Slots of a column on the model grid (categories + other + null, or bins + null)."""
    if column.kind in ("categorical", "boolean"):
        return len(column.categories or []) + 2
    return max(len((column.histogram or {}).get("edges") or []) - 1, 10) + 1


def choose_model(domain: Domain, *, secure: bool = False) -> ModelChoice:
    """``marginals`` for tables of at most ``MAX_MARGINALS_COLUMNS`` columns whose two largest
    columns' grid fits ``MAX_MARGINALS_CELLS`` and at most ``MAX_CONTINUOUS_SHARE`` of whose
    columns are continuous; ``dpctgan`` otherwise (and with ``secure``, which hardens DP-SGD's
    noise)."""
    columns = len(domain.names)
    if secure:
        return ModelChoice(AUTO, "dpctgan", "secure mode hardens DP-SGD's noise, which only dpctgan uses")
    sizes = sorted((grid_size(c) for c in domain), reverse=True)
    widest = sizes[0] * sizes[1] if len(sizes) > 1 else (sizes[0] if sizes else 0)
    if columns > MAX_MARGINALS_COLUMNS:
        return ModelChoice(AUTO, "dpctgan", f"{columns} modelled columns, more than {MAX_MARGINALS_COLUMNS}: the "
                                              "marginals model was not measured that wide (bench_peers: 4 to 86 columns)")
    if widest > MAX_MARGINALS_CELLS:
        return ModelChoice(AUTO, "dpctgan", f"the two largest columns' grid has {widest} cells, more than "
                                              f"{MAX_MARGINALS_CELLS}: too fine for noisy marginals")
    continuous = sum(c.kind in ("numerical", "datetime") for c in domain)
    if columns and continuous / columns > MAX_CONTINUOUS_SHARE:
        return ModelChoice(AUTO, "dpctgan", f"{continuous} of {columns} modelled columns are continuous, more than "
                                              f"{MAX_CONTINUOUS_SHARE:.0%}: noisy marginals bin numbers coarsely and "
                                              "lose their correlations (bench_peers: credit_data, 9 of 14)")
    return ModelChoice(AUTO, "marginals", f"{columns} modelled columns (at most {MAX_MARGINALS_COLUMNS}) and a "
                                            f"largest pair of {widest} cells, {continuous} continuous: noisy "
                                            "marginals kept the table's shape better than dpctgan at the same epsilon "
                                            "on such tables (bench_peers); declare the target to keep its pairs")
