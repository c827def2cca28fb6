"""A column the DP domain release mostly suppressed is measured once more (privacy.secondlook).

The first release keeps a value held by 5 % of the rows; a column of many 2-4 % values (first
names, states, job titles) came out mostly as ``*``: openintro's resume table at epsilon 1,
69 % of its first names.
"""

import math

import numpy as np
import pandas as pd

from synthrecords import Synthesizer
from synthrecords.pii.policy import ProtectionPolicy
from synthrecords.privacy import secondlook, shared
from synthrecords.privacy.categories import Measured
from synthrecords.privacy.domain import THRESHOLD_DELTA_SHARE, release_domain
from synthrecords.privacy.ledger import PrivacyLedger
from synthrecords.privacy.plan import plan_column
from synthrecords.privacy.rowcount import RowCount, default_delta
from synthrecords.privacy.zcdp import gaussian_rho, rho_left

ROWS = 4000


def names_table(n: int = ROWS, names: int = 30, seed: int = 0) -> pd.DataFrame:
    """``names`` first names of 1/names of the rows each (3.3 % at 30), ten yes/no text columns
    (as in the resume table: the threshold grows with them) and a number."""
    rng = np.random.default_rng(seed)
    first = np.repeat([f"name{i:02d}" for i in range(names)], -(-n // names))[:n]
    flags = {f"flag{i}": rng.choice(["yes", "no"], n, p=[0.4, 0.6]) for i in range(10)}
    return pd.DataFrame({"first_name": rng.permutation(first), **flags, "amount": rng.gamma(2.0, 50.0, n).round(2)})


def released(data: pd.DataFrame, seed: int | None, epsilon: float = 1.0):
    book = PrivacyLedger(epsilon, default_delta(len(data)))
    domain = release_domain(data, book, public={"amount": {"lower": 0.0, "upper": 5000.0}},
                            rows=RowCount(len(data), 54.0), noise_seed=seed)
    return domain, book


def looks(book: PrivacyLedger) -> list:
    """The domain release's two looks (the ten flags' shared labels, privacy.shared, come first)."""
    return [e for e in book.entries if e.stage == "domain" and shared.NAME not in e.detail]


def value_share(column) -> float:
    return sum(g["share"] for g in column.granularity if g["level"] == "value")


def test_a_column_of_three_percent_values_is_looked_at_again_and_mostly_released():
    data = names_table()
    for seed in range(5):
        domain, book = released(data, seed)
        _, again = looks(book)
        assert "second look at 1 columns" in again.detail and "first_name" in again.detail
        column = domain["first_name"]
        # each 3.3 % value clears the combined threshold by about 2 std: nearly all are released
        assert value_share(column) > 0.85, column.granularity
        assert domain["flag0"].categories == ["no", "yes"]
        assert book.epsilon_spent() <= 1.0


def test_the_first_release_alone_left_most_of_such_a_column_unreleased(monkeypatch):
    """The same releases without the second look: what it is there for, at a noise it lowers."""
    looked = [released(names_table(), seed)[0]["first_name"] for seed in range(5)]
    monkeypatch.setattr(secondlook, "LOOK_SHARE", 1.0)
    alone = [released(names_table(), seed)[0]["first_name"] for seed in range(5)]
    assert max(value_share(c) for c in alone) < 0.5, [c.granularity for c in alone]
    assert all(b.histogram["noise_std"] < 0.75 * a.histogram["noise_std"] for a, b in zip(alone, looked))


def test_the_second_look_spends_at_most_its_share_of_what_was_left_and_reserves_its_delta():
    _, book = released(names_table(), seed=0)
    first, again = looks(book)
    assert first.delta == again.delta == THRESHOLD_DELTA_SHARE * book.delta
    labels = sum(e.delta for e in book.entries if shared.NAME in e.detail)  # the flags' shared labels
    assert book.delta_reserved() == first.delta + again.delta + labels
    before = PrivacyLedger(book.epsilon, book.delta, [e for e in book.entries if e is not again])
    assert gaussian_rho(again.noise_multiplier) <= secondlook.MAX_SHARE * rho_left(before) * (1 + 1e-9)


def test_a_lone_value_must_clear_a_subgaussian_tail_of_the_combined_noise():
    """A value held by one record has a combined count of 1 plus noise that is subgaussian at the
    combined std: the threshold is its Chernoff bound at delta_t per column."""
    data = names_table()
    data.loc[0, "first_name"] = "Quorinda"
    domain, book = released(data, seed=0)
    again = looks(book)[1]
    std = domain["first_name"].histogram["noise_std"]
    assert "Quorinda" not in domain["first_name"].categories
    tau = 1 + std * math.sqrt(2 * math.log(1 / again.delta))
    kept = [c for c in domain["first_name"].categories if c != "*"]
    assert tau > 4.5 * std and len(kept) >= 25


def test_no_second_look_where_the_release_kept_the_rows():
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"colour": rng.choice(["red", "green", "blue"], ROWS), "amount": rng.gamma(2.0, 50.0, ROWS)})
    _, book = released(data, seed=None)
    assert [e.stage for e in book.entries].count("domain") == 1


def test_a_fit_samples_the_names_rather_than_stars():
    """Through the user's path (auto: marginals), fresh noise: the synthetic rows hold few ``*``."""
    data = names_table(seed=2)
    synth = Synthesizer(epsilon=1.0, seed=0, nlp_model=None, public_domain={"amount": {"lower": 0, "upper": 5000}},
                        pii_policy=ProtectionPolicy(columns={c: "keep" for c in data.columns}))
    synth.fit(data)
    rows = synth.sample(4000, seed=0)
    assert (rows["first_name"] == "*").mean() < 0.2
    assert synth.ledger_.epsilon_spent() <= 1.0 + 1e-9


def test_no_second_look_where_it_would_lower_the_noise_little():
    """A look takes at most MAX_SHARE of the rho left; where it cannot bring the noise std to GAIN of
    the first's (customers at epsilon 3: 15.7 -> 12.5, one more state), it is not taken."""
    plan = plan_column(pd.Series(["a", "b"] * 50), None, None)
    first = lambda std: [Measured(plan, ["a", "b"], np.array([50.0, 50.0, 0.0, 0.0]), std, 5 * std)]
    delta_t = 1e-6
    wanted = (0.02 * 4000 - 2) / (math.sqrt(2 * math.log(1 / delta_t)) + 1)  # 12.5
    s2 = secondlook.second_std(first(40.0), 4000, rho_free=1.0, delta_t=delta_t)
    assert math.isclose(1 / math.sqrt(1 / 40.0 ** 2 + 1 / s2 ** 2), wanted)  # not capped: exactly what keeps 2 %
    assert secondlook.second_std(first(40.0), 4000, rho_free=0.001, delta_t=delta_t) is None  # capped: 40 -> 33
    assert secondlook.second_std(first(15.7), 4000, rho_free=1.0, delta_t=delta_t) is None  # 15.7 -> 12.5
    assert secondlook.second_std(first(10.0), 4000, rho_free=1.0, delta_t=delta_t) is None  # keeps 2 % already


def test_no_second_look_without_a_released_row_count():
    """The look's noise is sized from the row count: from the exact one it would state n in the ledger."""
    book = PrivacyLedger(1.0, default_delta(ROWS))
    release_domain(names_table(), book, public={"amount": {"lower": 0.0, "upper": 5000.0}}, noise_seed=0)
    assert [e.stage for e in book.entries] == ["domain"]
