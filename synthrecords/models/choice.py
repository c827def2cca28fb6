"""``model = "auto"`` (the default with an epsilon): ``marginals`` or ``dpctgan`` from public
facts about the table.

The choice reads the released domain only (how many columns are modelled, their kinds, how
many cells their grid has): public, or already paid for. It never reads the rows, so it costs
nothing and needs no entry in the ledger. The rule rests on bench_peers (bench/RESULTS.md,
issue 23, epsilon 1 and 3): marginals had the better quality on ISLR Default (4 columns, 2
continuous), AER CreditCard (12, 7), AER HealthInsurance (11, 2), gss_wages (11, 5) and
customers (15, 6); dpctgan won on modeldata credit_data (14 columns, 9 continuous,
heavy-tailed and strongly correlated amounts: pair trends 0.84 against 0.70), so tables of over
60 % continuous columns went to dpctgan until session 30. The loss was the selection's: a pair
of two numbers was only offered on fine cells, where its noise outweighed its error, so none
was measured. Offered on coarse cells too (aim.py), marginals lead there as well (epsilon 1:
credit_data 0.91 against 0.87, modeldata mlc_churn, 14 of 20 continuous, 0.93 against 0.81;
MASS Boston, 12 of 14, 0.77 against 0.69; ggplot2 diamonds, 7 of 10, 0.91 against 0.86), and
the rule is gone. TSTR was mixed (marginals
ahead on Default and CreditCard, behind on gss_wages, and near chance on customers when the
target is not declared). On ISLR Caravan (86 columns of small integer codes) marginals scored
0.894 / 0.940 quality at epsilon 1 / 3 against dpctgan's 0.821 / 0.867 (one run each, TSTR near
chance for both when the target is not declared), once its size check stopped building a
junction tree for each of the 3,700 candidate pairs every round. Wider tables went to dpctgan
until session 35, when four tables of 100-171 columns (epsilon 1, one run each, bench/RESULTS.md
"Session 35") had marginals ahead on quality on all four: mlmRev s3bby (100 binary items) 0.959
against 0.772, openintro hfi (123 indices) 0.626 against 0.519, causaldata castle (139) 0.844
against 0.716, medicaldata opt (171 columns, 658 rows, most labels lost to the domain release
for both) 0.385 against 0.349; TSTR ahead on hfi and castle (0.918 / 0.611 against 0.526 /
0.428), behind on s3bby (0.575 against 0.635; told the target 0.677 against 0.681, TRTR 0.684).
Fits took 1.3-8x dpctgan's (105-663 s) and up to 3.7 GB. Above 180 columns the covering rounds
(aim.py: two uncovered columns a round) can no longer put every column in a measured pair within
the 96 rounds planned, and such tables were not measured: they still go to dpctgan.

Pairs too large to measure (over ``aim.MAX_CELLS`` cells) the marginals model leaves out. Until
session 20 one such pair sent the table to dpctgan; customers told its label lists (879 postcodes,
301 cities: 9 of its 105 pairs too large, postcode x city the largest) showed the cost: dpctgan
scored 0.623 / 0.677 quality and 0.553 / 0.578 TSTR at epsilon 1 / 3, marginals (once aim.py
counted those pairs among the ones its rounds cannot visit) 0.685 / 0.713 and 0.582 / 0.640, ahead
of MST and AIM, in a tenth of the time. Now a few such pairs keep the table on marginals; a column
that can pair with no other, or many such pairs, still go to dpctgan (not measured).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

from ..domain import Domain
from .aim import MAX_CELLS

AUTO = "auto"
MAX_MARGINALS_COLUMNS = 180  # measured at 4 to 171 columns (bench_peers: Caravan 86, s3bby 100 ... opt 171)
# Share of the pairs too large for the marginals model to measure above which dpctgan models the
# table: marginals were ahead at 9 of 105 (customers told its label lists); larger shares not measured
MAX_UNMEASURED_SHARE = 0.25


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
    """``marginals`` for tables of at most ``MAX_MARGINALS_COLUMNS`` columns, each of which has a
    pair the marginals model can measure (at most ``aim.MAX_CELLS`` cells), and at most
    ``MAX_UNMEASURED_SHARE`` of whose pairs are too large to measure; ``dpctgan`` otherwise (and
    with ``secure``, which hardens DP-SGD's noise)."""
    columns = len(domain.names)
    if secure:
        return ModelChoice(AUTO, "dpctgan", "secure mode hardens DP-SGD's noise, which only dpctgan uses")
    if columns > MAX_MARGINALS_COLUMNS:
        return ModelChoice(AUTO, "dpctgan", f"{columns} modelled columns, more than {MAX_MARGINALS_COLUMNS}: the "
                                              "marginals model was not measured that wide (bench_peers: 4 to 171 columns)")
    sizes = {c.name: grid_size(c) for c in domain}
    pairs = list(combinations(sizes, 2))
    too_large = [(a, b) for a, b in pairs if sizes[a] * sizes[b] > MAX_CELLS]
    alone = [name for name in sizes if columns > 1 and sum(name in pair for pair in too_large) == columns - 1]
    if alone:
        return ModelChoice(AUTO, "dpctgan", f"column {alone[0]!r} has {sizes[alone[0]]} slots: with any other column "
                                              f"its grid has more than {MAX_CELLS} cells, too fine for noisy marginals")
    if too_large and len(too_large) / len(pairs) > MAX_UNMEASURED_SHARE:
        return ModelChoice(AUTO, "dpctgan", f"{len(too_large)} of {len(pairs)} column pairs have more than "
                                              f"{MAX_CELLS} cells, more than {MAX_UNMEASURED_SHARE:.0%}: too fine "
                                              "for noisy marginals")
    continuous = sum(c.kind in ("numerical", "datetime") for c in domain)
    skipped = (f"; {len(too_large)} of {len(pairs)} pairs are too large to measure (largest: "
               f"{' x '.join(max(too_large, key=lambda p: sizes[p[0]] * sizes[p[1]]))}) and are left out: "
               "declare a hierarchy to keep nested columns together") if too_large else ""
    return ModelChoice(AUTO, "marginals", f"{columns} modelled columns (at most {MAX_MARGINALS_COLUMNS}), "
                                            f"{continuous} continuous: noisy marginals kept the table's shape better "
                                            "than dpctgan at the same epsilon on such tables (bench_peers); declare "
                                            f"the target to keep its pairs{skipped}")
