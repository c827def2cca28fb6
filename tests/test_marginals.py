"""The ``marginals`` model: AIM-style selection and measurement in the ledger, the model's
arrays, sampling, the model folder and ``model = "auto"``."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from synthrecords import Synthesizer
from synthrecords.domain import ColumnDomain, Domain
from synthrecords.models.aim import workload
from synthrecords.models.choice import MAX_MARGINALS_COLUMNS, choose_model
from synthrecords.models.cliques import CliqueModel, calibrated
from synthrecords.models.measures import exponential
from synthrecords.models.rounding import largest_remainder
from synthrecords.models.slots import allowed_slots
from synthrecords.privacy.ledger import ORDERS, LedgerEntry, PrivacyLedger
from synthrecords.privacy.zcdp import exponential_epsilon, gaussian_sigma, rho_left


def mixed_table(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Numbers, dates, categories and nulls; ``plan`` follows ``segment`` almost surely."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["retail", "business", "public"], n, p=[0.5, 0.3, 0.2])
    plan = np.where(rng.random(n) < 0.95, np.where(segment == "retail", "basic", "premium"),
                    np.where(segment == "retail", "premium", "basic"))
    age = np.round(rng.normal(45, 12, n)).clip(18, 90)
    income = np.round(age * 900 + rng.normal(0, 4000, n), 2)
    income[rng.random(n) < 0.15] = np.nan
    joined = (pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")).strftime("%Y-%m-%d")
    churn = (rng.random(n) < np.where(plan == "premium", 0.35, 0.08)).astype(int)
    return pd.DataFrame({"segment": segment, "plan": plan, "age": age, "income": income, "joined": joined,
                         "churn": churn})


@pytest.fixture(scope="module")
def fitted():
    data = mixed_table()
    return data, Synthesizer(epsilon=3.0, target="churn", seed=7).fit(data)  # the default with an epsilon: auto


# -- the ledger's exponential entries ---------------------------------------------------
def test_exponential_entry_rdp_is_alpha_epsilon_squared_over_eight():
    entry = LedgerEntry("train", "exponential", 0.0, steps=3, epsilon=0.4)
    assert np.allclose(entry.rdp(), 3 * np.asarray(ORDERS) * 0.4 ** 2 / 8)


def test_exponential_entries_compose_with_gaussian_ones_in_one_conversion():
    ledger = PrivacyLedger(epsilon=5.0, delta=1e-6)
    ledger.start_fit()
    ledger.record("domain", noise_multiplier=3.0)
    alone = ledger.epsilon_spent()
    ledger.record_exponential("train", epsilon=0.5, steps=4)
    # 4 selections at 0.5 are 4 * 0.5^2 / 8 = 0.125-zCDP, a Gaussian of sigma 2 in RDP
    same = PrivacyLedger(5.0, 1e-6, [LedgerEntry("domain", "gaussian", 3.0), LedgerEntry("x", "gaussian", 2.0)])
    assert ledger.epsilon_spent() == pytest.approx(same.epsilon_spent()) and ledger.epsilon_spent() > alone


def test_exponential_entry_round_trips_and_old_ledgers_still_load():
    ledger = PrivacyLedger(epsilon=2.0, delta=1e-5)
    ledger.start_fit()
    ledger.record("domain", noise_multiplier=4.0, detail="counts")
    ledger.record_exponential("train", epsilon=0.3, detail="selection")
    saved = ledger.to_dict()
    assert "epsilon" not in saved["entries"][0] and saved["entries"][1]["epsilon"] == 0.3
    again = PrivacyLedger.from_dict(json.loads(json.dumps(saved)))
    assert again.epsilon_spent() == pytest.approx(ledger.epsilon_spent())
    assert again.entries[1].mechanism == "exponential"
    old = {k: v for k, v in saved.items()}
    old["entries"] = [saved["entries"][0]]  # a ledger written before exponential entries existed
    assert PrivacyLedger.from_dict(old).entries[0].epsilon == 0.0


def test_exponential_entry_past_the_target_is_refused():
    ledger = PrivacyLedger(epsilon=0.5, delta=1e-5)
    with pytest.raises(Exception, match="past the target"):
        ledger.record_exponential("train", epsilon=5.0)
    assert ledger.entries == []


def test_planned_rho_fills_the_ledger_up_to_its_target_and_no_further():
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)
    ledger.start_fit()
    ledger.record("domain", noise_multiplier=6.0)
    rho = rho_left(ledger)
    ledger.record("train", noise_multiplier=gaussian_sigma(0.9 * rho))
    ledger.record_exponential("train", epsilon=exponential_epsilon(0.1 * rho))
    assert 0.999 < ledger.epsilon_spent() <= 1.0
    assert rho_left(ledger) < 1e-3 * rho


# -- the model's arrays -----------------------------------------------------------------
def chain(rng):
    """A Markov chain a -> b -> c and its exact joint."""
    pa, pba, pcb = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(4), 3), rng.dirichlet(np.ones(2), 4)
    return pa, pba, pcb, np.einsum("a,ab,bc->abc", pa, pba, pcb)


def test_clique_model_answers_marginals_across_cliques_exactly():
    rng = np.random.default_rng(1)
    pa, pba, pcb, joint = chain(rng)
    model = CliqueModel({"a": 3, "b": 4, "c": 2}, [("a", "b"), ("b", "c")], [joint.sum(2), joint.sum(0)], [(0, 1)])
    assert np.allclose(model.marginal(("c", "a")), joint.sum(1).T)
    calib = calibrated({"a": 3, "b": 4, "c": 2}, [("a", "b"), ("b", "c")], [(0, 1)],
                       [(("a",), np.log(pa)), (("a", "b"), np.log(pba)), (("b", "c"), np.log(pcb))])
    assert np.allclose(calib.marginal(("a", "b", "c")), joint)


def test_clique_model_samples_its_joint_and_conditions_exactly():
    rng = np.random.default_rng(2)
    *_, joint = chain(rng)
    model = CliqueModel({"a": 3, "b": 4, "c": 2}, [("a", "b"), ("b", "c")], [joint.sum(2), joint.sum(0)], [(0, 1)])
    drawn = model.sample(100_000, np.random.default_rng(3))
    counts = np.zeros((3, 2))
    np.add.at(counts, (drawn["a"], drawn["c"]), 1)
    assert np.abs(counts / counts.sum() - joint.sum(1)).max() < 0.01
    given = model.sample(50_000, np.random.default_rng(4), fixed={"c": 1})
    assert set(given["c"]) == {1}
    want = joint[:, :, 1].sum(1) / joint[:, :, 1].sum()
    assert np.abs(np.bincount(given["a"], minlength=3) / 50_000 - want).max() < 0.01
    never = model.sample(5000, np.random.default_rng(5), allowed={"b": np.array([True, False, True, True])})
    assert 1 not in set(never["b"])


def test_latent_other_keeps_the_columns_that_follow_it():
    """b = 1 exactly where a holds rare values the domain did not release ("other", slot 1):
    masking a's "other" conditioned every row on a's released value and b came out constant
    (ISLR Caravan: ABROM after PBROM). Drawn inside the tree and replaced, b keeps its share
    and a emits only what it may, here from its clique given b."""
    sizes = {"a": 3, "b": 2}  # a: released value 0, "other" 1, null 2
    joint = np.array([[0.90, 0.0], [0.0, 0.10], [0.0, 0.0]])
    model = CliqueModel(sizes, [("a", "b")], [joint], [])
    allowed = {"a": np.array([True, False, False])}
    masked = model.sample(20_000, np.random.default_rng(0), allowed=allowed)
    assert masked["b"].mean() < 0.01  # the collapse, as before
    drawn = model.sample(20_000, np.random.default_rng(0), allowed=allowed, latent={"a": np.array([False, True, False])})
    assert set(drawn["a"]) == {0}
    assert abs(drawn["b"].mean() - 0.10) < 0.01
    # in a tree: a's latent slot is what the clique below reads, its stand-in what is emitted
    chain = CliqueModel({"a": 3, "b": 2, "c": 2}, [("a", "b"), ("b", "c")],
                        [joint, np.array([[0.85, 0.05], [0.0, 0.10]])], [(0, 1)])
    drawn = chain.sample(20_000, np.random.default_rng(1), fixed={"c": 1}, allowed=allowed,
                         latent={"a": np.array([False, True, False])})
    assert set(drawn["a"]) == {0} and set(drawn["c"]) == {1}
    assert abs(drawn["b"].mean() - 0.10 / 0.15) < 0.02


def test_workload_holds_every_pair_and_the_targets_triples_once():
    cliques = workload(["x", "y", "z", "t"], "t")
    assert ("x", "y") in cliques and ("y", "x") not in cliques
    assert ("x", "y", "t") in cliques and ("x", "y", "z") not in cliques
    assert len(workload(["x", "y", "z"], None)) == 3 + 3


# -- a fit through the Synthesizer (one, shared) -----------------------------------------
def test_fit_stays_within_epsilon_with_its_entries_listed(fitted):
    _, synth = fitted
    ledger = synth.ledger_.to_dict()
    assert ledger["epsilon_spent"] <= 3.0 + 1e-9 and ledger["epsilon_spent"] > 2.9
    kinds = {(e["stage"], e["mechanism"]) for e in ledger["entries"]}
    assert {("domain", "gaussian"), ("train", "gaussian"), ("train", "exponential")} <= kinds
    assert any("selection" in e["detail"] for e in ledger["entries"])
    assert any("measures" in e["detail"] for e in ledger["entries"])
    assert "exponential" in ledger["accounting"]


def test_an_epsilon_alone_picks_auto_which_picks_marginals_for_a_narrow_table_and_says_why(fitted):
    _, synth = fitted
    assert synth.model is None and synth.requested_model == "auto"
    assert synth.model_name == "marginals" and synth.model_choice_.choice == "marginals"
    report = synth.model_report()
    assert report["requested"] == "default" and report["choice"] == "marginals" and "columns" in report["reason"]
    assert synth.params()["model"] == "auto"  # a refit of the saved model chooses again


def test_auto_sends_wide_tables_to_dpctgan():
    wide = Domain({f"c{i}": ColumnDomain(f"c{i}", "categorical", categories=[0, 1]) for i in range(MAX_MARGINALS_COLUMNS + 1)})
    choice = choose_model(wide)
    assert choice.choice == "dpctgan" and str(MAX_MARGINALS_COLUMNS + 1) in choice.reason
    narrow = Domain({f"c{i}": ColumnDomain(f"c{i}", "categorical", categories=[0, 1]) for i in range(4)})
    assert choose_model(narrow).choice == "marginals"
    codes = Domain({f"c{i}": ColumnDomain(f"c{i}", "categorical", categories=list(range(10))) for i in range(86)})
    assert choose_model(codes).choice == "marginals"  # ISLR Caravan's shape: 86 small integer codes
    # mlmRev s3bby's shape, 100 binary items: marginals 0.959 quality against dpctgan's 0.772 (session 35)
    items = Domain({f"V{i}": ColumnDomain(f"V{i}", "categorical", categories=[0, 1]) for i in range(100)})
    assert choose_model(items).choice == "marginals"
    assert choose_model(narrow, secure=True).choice == "dpctgan"


def test_auto_keeps_a_table_with_a_few_pairs_too_large_to_measure_on_marginals():
    def table(**labels: int) -> Domain:
        return Domain({name: ColumnDomain(name, "categorical", categories=list(range(n))) for name, n in labels.items()})

    small = {f"c{i}": 8 for i in range(12)}
    # customers told its label lists: postcode x city, postcode x state and city x state are too large
    geography = choose_model(table(postcode=877, city=299, state=45, **small))
    assert geography.choice == "marginals" and "3 of 105 pairs" in geography.reason
    assert "postcode x city" in geography.reason
    alone = choose_model(table(code=5000, **small))  # pairs with nothing under the cell limit
    assert alone.choice == "dpctgan" and "'code'" in alone.reason
    few = choose_model(table(**{f"big{i}": 200 for i in range(5)}, **{f"c{i}": 3 for i in range(5)}))
    assert few.choice == "marginals"  # 10 of 45 pairs too large
    many = choose_model(table(**{f"big{i}": 200 for i in range(6)}, **{f"c{i}": 3 for i in range(4)}))
    assert many.choice == "dpctgan" and "15 of 45 column pairs" in many.reason


def test_a_restricted_selection_is_the_exponential_mechanism_on_the_allowed_marginals():
    scores = {("a",): 0.0, ("b",): 0.0, ("c",): 50.0}
    asked = []

    def allowed(cl):
        asked.append(cl)
        return cl != ("c",)

    rng = np.random.default_rng(0)
    picks = [exponential(scores, 1.0, 1.0, rng, allowed) for _ in range(2000)]
    assert ("c",) not in picks and 0.45 < picks.count(("a",)) / len(picks) < 0.55
    assert len(asked) <= 2 * len(picks)  # asked in descending order, only until one passes
    assert exponential(scores, 1.0, 1.0, rng) == ("c",)  # unrestricted, its score wins


def test_auto_keeps_mostly_continuous_tables_on_marginals():
    """Until session 30 over 60 % continuous columns went to dpctgan (credit_data, 9 of 14); with
    pairs of numbers offered on coarse cells marginals lead there too (models/choice.py)."""
    def table(numbers: int, codes: int) -> Domain:
        columns = [ColumnDomain(f"x{i}", "numerical", lower=0.0, upper=1.0) for i in range(numbers)]
        columns += [ColumnDomain(f"c{i}", "categorical", categories=[0, 1]) for i in range(codes)]
        return Domain({c.name: c for c in columns})

    for numbers, codes in ((9, 5), (14, 6), (12, 0), (2, 2)):  # credit_data, mlc_churn, all numbers, Default
        choice = choose_model(table(numbers, codes))
        assert choice.choice == "marginals" and f"{numbers} continuous" in choice.reason


def test_samples_keep_kinds_bounds_and_nulls(fitted):
    data, synth = fitted
    out = synth.sample(2000, seed=1)
    assert list(out.columns) == list(data.columns)
    assert set(out["segment"].dropna()) <= set(data["segment"]) and set(out["plan"].dropna()) <= {"basic", "premium"}
    ages = pd.to_numeric(out["age"])
    assert (ages == ages.round()).all() and ages.between(*[float(synth.domain_["age"].lower),
                                                           float(synth.domain_["age"].upper)]).all()
    assert 0.05 < out["income"].isna().mean() < 0.3
    days = pd.to_datetime(out["joined"], format="%Y-%m-%d")
    assert days.notna().all() and days.min() >= pd.Timestamp("2015-01-01")


def test_a_strong_pair_is_kept_far_better_than_independence(fitted):
    data, synth = fitted
    out = synth.sample(3000, seed=2)

    def agreement(frame):  # share of rows where plan follows segment's rule
        return float(((frame["segment"] == "retail") == (frame["plan"] == "basic")).mean())

    independent = sum(data["segment"].value_counts(normalize=True)[s] * data["plan"].value_counts(normalize=True)[p]
                      for s, p in [("retail", "basic"), ("business", "premium"), ("public", "premium")])
    assert agreement(data) > 0.9 and independent < 0.6
    assert agreement(out) > 0.85


def test_target_conditions_are_met_exactly_and_shape_the_rest(fitted):
    _, synth = fitted
    churned = synth.sample(1500, seed=3, conditions={"churn": 1})
    assert (churned["churn"].astype(int) == 1).all()
    stayed = synth.sample(1500, seed=3, conditions={"churn": 0})
    assert (churned["plan"] == "premium").mean() > (stayed["plan"] == "premium").mean() + 0.15


def test_told_a_target_the_rows_hold_its_classes_at_their_measured_shares(fitted):
    data, synth = fitted
    engine = synth.engine_
    column = next(c for c in engine.codec_.columns if c.name == "churn")
    shares = np.asarray(engine.target_shares_) * allowed_slots(engine.codec_)["churn"]
    churn = synth.sample(1000, seed=4)["churn"].astype(str)
    want = largest_remainder(1000, shares)
    assert churn.value_counts().to_dict() == {str(k): int(w) for k, w in zip(column.categories, want) if w}
    real = data["churn"].astype(str).value_counts(normalize=True)
    assert all(abs(s - real[str(k)]) < 0.02 for k, s in zip(column.categories, shares))
    ones = np.flatnonzero(churn == "1")  # drawn class by class, then shuffled: not one block
    assert ones.max() - ones.min() > 2 * len(ones)


def test_save_load_round_trip_gives_the_same_rows(fitted, tmp_path):
    _, synth = fitted
    folder = synth.save(tmp_path / "model")
    assert not list(folder.rglob("*.pkl")) and (folder / "marginals_state.safetensors").exists()
    again = Synthesizer.load(folder)
    assert again.model_name == "marginals" and again.model_choice_.reason == synth.model_choice_.reason
    pd.testing.assert_frame_equal(again.sample(300, seed=5), synth.sample(300, seed=5))


def test_a_tampered_model_folder_is_refused(fitted, tmp_path):
    from synthrecords.models.marginals import MarginalsEngine

    _, synth = fitted
    synth.engine_.save(tmp_path)
    spec = json.loads((tmp_path / "engine.json").read_text())
    spec["model"]["cliques"][0] = spec["model"]["cliques"][0][:1]  # a clique that no longer fits its table
    (tmp_path / "engine.json").write_text(json.dumps(spec))
    with pytest.raises(Exception, match="altered"):
        MarginalsEngine.load(tmp_path)


def test_cli_fit_with_marginals_end_to_end(tmp_path):
    data = tmp_path / "small.csv"
    mixed_table(400, seed=3).to_csv(data, index=False)
    out = tmp_path / "model"
    proc = run_cli("fit", data, "--out", out, "--model", "marginals", "--epsilon", "2", "--seed", "1")
    assert "model marginals saved" in proc.stdout
    ledger = json.loads((out / "ledger.json").read_text())
    assert ledger["epsilon_spent"] <= 2.0 and any(e["mechanism"] == "exponential" for e in ledger["entries"])
    rows = tmp_path / "rows.csv"
    run_cli("sample", out, "--rows", "50", "--out", rows, "--seed", "2")
    assert len(pd.read_csv(rows)) == 50


def test_numpy_mirror_descent_recovers_noise_free_marginals():
    from synthrecords.models.aim import Measured
    from synthrecords.models.descent import Descent

    *_, joint = chain(np.random.default_rng(6))
    total = 1000.0
    measured = [Measured(("a", "b"), total * joint.sum(2).ravel(), 1.0),
                Measured(("b", "c"), total * joint.sum(0).ravel(), 1.0)]
    _, model = Descent({"a": 3, "b": 4, "c": 2}, [("a", "b"), ("b", "c")], [(0, 1)], measured, total).run(None, 300)
    assert np.abs(model.marginal(("a", "c")) - joint.sum(1)).max() < 0.01


def test_mirror_descent_fits_a_measured_pair_inside_a_large_clique():
    """Five 10-value columns in one 100,000-cell clique; a pair measured at std 10 on 5,000
    rows. mbi's Euclidean step (|C| / |c| per measurement) was ~4,000x smaller than the safe
    one here: 100 steps left the pair near its start, off by 1.8 of the rows in L1."""
    from synthrecords.models.aim import Measured
    from synthrecords.models.descent import Descent

    rng = np.random.default_rng(3)
    total, names = 5000.0, ("a", "b", "c", "d", "e")
    a = rng.integers(0, 10, int(total))
    rows = {"a": a, "b": (a * 3 + 1) % 10, **{n: rng.integers(0, 10, int(total)) for n in names[2:]}}
    count = lambda cl: np.histogramdd(np.stack([rows[n] for n in cl], 1), bins=[np.arange(11)] * len(cl))[0].ravel()
    measured = [Measured((n,), count((n,)), 10.0) for n in names] + [Measured(("a", "b"), count(("a", "b")), 10.0)]
    _, model = Descent(dict.fromkeys(names, 10), [names], [], measured, total).run(None, 100)
    truth = count(("a", "b")) / total
    assert np.abs(model.marginal(("a", "b")).ravel() - truth).sum() < 0.1


def test_the_safe_mirror_descent_step_never_raises_the_loss():
    """``safe_step`` with no line search: noisy, inconsistent measurements of several cliques,
    coarse ones and ones on some cells only, and the loss still falls at every step."""
    from synthrecords.models.aim import Measured
    from synthrecords.models.descent import Descent, safe_step

    rng = np.random.default_rng(4)
    sizes, total = {"a": 4, "b": 5, "c": 3}, 800.0
    noisy = lambda k, std: rng.normal(total / k, std, k)
    measured = [Measured(("a",), noisy(4, 2.0), 2.0), Measured(("a", "b"), noisy(20, 5.0), 5.0),
                Measured(("b", "c"), noisy(15, 1.0), 1.0),
                Measured(("b", "c"), noisy(9, 3.0), 3.0, slots=tuple(range(0, 15, 2)) + (1,)),
                Measured(("a", "b"), noisy(2, 4.0), 4.0, groups=tuple([0] * 10 + [1] * 9 + [-1]))]
    d = Descent(sizes, [("a", "b"), ("b", "c")], [(0, 1)], measured, total)
    alpha = safe_step(measured, total)
    theta = {c: np.zeros([sizes[x] for x in c]) for c in d.cliques}
    loss, grad = d._loss(d._mu(theta)[1])
    for _ in range(60):
        theta = {c: theta[c] - alpha * grad[c] for c in d.cliques}
        after, grad = d._loss(d._mu(theta)[1])
        assert after <= loss + 1e-9
        loss = after


def test_the_targets_pairs_are_measured_at_once_when_rounds_cannot_visit_every_pair():
    from synthrecords.models.aim import fit_aim

    rng = np.random.default_rng(8)
    n = 2000
    slots = {"t": rng.integers(0, 2, n), "x": rng.integers(0, 3, n), "y": rng.integers(0, 4, n), "z": rng.integers(0, 2, n)}
    ledger = PrivacyLedger(epsilon=2.0, delta=1e-5)
    ledger.start_fit()
    result = fit_aim(slots, {"t": 2, "x": 3, "y": 4, "z": 2}, ledger, target="t", prior=[], rng=None, max_rounds=2)
    details = [e.detail for e in ledger.entries]
    assert any("the target's 3 2-way marginals at once" in d for d in details)
    assert ledger.epsilon_spent() <= 2.0 and result.rounds <= 2
    assert result.model.marginal(("t", "x", "y")).shape == (2, 3, 4)


def test_a_run_with_auto_reports_the_choice_and_its_reason_in_both_reports(tmp_path):
    from synthrecords.pipeline import synthesize

    out = tmp_path / "run"
    synthesize(mixed_table(600, seed=4), out=out, rows=200, privacy={"epsilon": 3.0},
               model={"name": "auto", "target": "churn", "seed": 1})
    for part in ("owner", "share"):
        model = json.loads((out / part / "report.json").read_text())["model"]
        assert model["requested"] == "auto" and model["choice"] == model["name"] == "marginals"
        assert "columns" in model["reason"]


def test_without_epsilon_it_fits_exact_marginals_and_records_nothing():
    data = mixed_table(800, seed=5)
    synth = Synthesizer(model="marginals", seed=3).fit(data)
    assert synth.ledger_.entries == [] and synth.ledger_.guarantee == "none"
    out = synth.sample(500, seed=1)
    assert ((out["segment"] == "retail") == (out["plan"] == "basic")).mean() > 0.85


def test_a_narrow_tables_target_triples_wait_until_the_rare_class_is_readable_per_cell():
    from synthrecords.models.aim import _readable

    # target t: 3 % of 8,000 rows = 240; (t, a, b) has 2 x 32 = 64 cells a class: 3.75 rows a cell
    joint = np.einsum("t,a,b->tab", [0.97, 0.03], [0.7, 0.3], np.full(32, 1 / 32))
    model = CliqueModel({"t": 2, "a": 2, "b": 32}, [("t", "a", "b")], [joint], [])
    pool = {("t", "a"): 3.0, ("t", "b"): 3.0, ("a", "b"): 2.0, ("t", "a", "b"): 6.0}
    sizes = {"t": 2, "a": 2, "b": 32}
    everything = lambda cl: True
    assert set(_readable(pool, "t", model, 8000.0, sizes, 9.6, everything)) == {("t", "a"), ("t", "b"), ("a", "b")}
    assert set(_readable(pool, "t", model, 8000.0, sizes, 3.0, everything)) == set(pool)  # readable at lower noise
    only_triple = lambda cl: len(cl) == 3  # the size cap refuses the rest: never an empty pool
    assert set(_readable(pool, "t", model, 8000.0, sizes, 9.6, only_triple)) == set(pool)


def test_a_narrow_rare_target_fit_measures_the_pair_that_predicts_it():
    from synthrecords.models.aim import fit_aim

    rng = np.random.default_rng(21)
    n = 8000
    c = rng.integers(0, 32, n)  # the target follows c alone, in its top bins (ISLR Default's balance)
    t = (rng.random(n) < np.where(c >= 28, 0.25, 0.005)).astype(int)
    a = rng.integers(0, 2, n)
    b = np.clip(a * 16 + rng.integers(0, 16, n), 0, 31)  # a strong pair that is not the target's
    slots, sizes = {"t": t, "a": a, "b": b, "c": c}, {"t": 2, "a": 2, "b": 32, "c": 32}
    for seed in range(3):
        ledger = PrivacyLedger(epsilon=3.0, delta=1e-5)
        ledger.start_fit()
        result = fit_aim(slots, sizes, ledger, target="t", prior=[], rng=np.random.default_rng(seed))
        assert any({"t", "c"} <= set(cl) for cl in result.measured), result.measured
        pair = result.model.marginal(("t", "c"))  # the model keeps the target's dependence on c
        rate = pair[1] / pair.sum(0)
        assert rate[28:].mean() > 5 * rate[:28].mean(), rate


def test_wide_tables_without_a_rare_target_up_front_get_a_round_a_pair_and_stay_wide():
    """Not told its rare target, customers (15 columns, 105 pairs) reached its pairs only with
    more than 48 rounds (TSTR 0.40 -> 0.67 at epsilon 3). With "wide" sized on the rounds
    planned, more rounds made gss_wages (11 columns, 55 pairs) narrow: it lost the wide-table
    rules (TSTR 0.84 -> 0.49). A rare target's pairs are measured up front and the rounds stay
    at ROUNDS (more cost customers TSTR 0.74 -> 0.69)."""
    from synthrecords.models.aim import MAX_ROUNDS, ROUNDS, plan_rounds

    assert MAX_ROUNDS > ROUNDS
    for up_front in (False, True):  # ISLR Default (4 columns) stays narrow
        assert plan_rounds(4, 6, MAX_ROUNDS, target_up_front=up_front) == (ROUNDS, ROUNDS, False)
    assert plan_rounds(11, 55, MAX_ROUNDS, target_up_front=False) == (ROUNDS, 55, True)  # gss_wages: a round a pair
    assert plan_rounds(11, 55, MAX_ROUNDS, target_up_front=True) == (ROUNDS, ROUNDS, True)
    assert plan_rounds(15, 105, MAX_ROUNDS, target_up_front=False) == (ROUNDS, MAX_ROUNDS, True)  # up to the cap
    assert plan_rounds(86, 3655, 60, target_up_front=False) == (ROUNDS, 60, True)  # a user's cap
    assert plan_rounds(4, 6, 2, target_up_front=True) == (2, 2, True)  # a cap below the pairs: wide, as before
    assert plan_rounds(2, 1, MAX_ROUNDS, target_up_front=False) == (32, 32, False)


def test_a_larger_plan_gets_no_extra_free_halving():
    """A plan of R rounds starts at sqrt(R / 48) times the noise of a 48-round plan; judged on its
    own noise, gss_wages at epsilon 1 (8,000 rows: floor 8) passed the free-halving test at 16.7
    where the 48-round plan's 15.6 did not, and spent its budget in 5-6 rounds."""
    from synthrecords.models.aim import FLOOR_NOISE, _noise_still_large

    total = 8000.0
    assert 2 * FLOOR_NOISE * total == 16  # the noise below which halving stops being free
    assert _noise_still_large(16.1, total, 48, 48) and not _noise_still_large(15.6, total, 48, 48)
    for planned in (55, 96, 200):
        scale = math.sqrt(planned / 48)  # the same point of the budget, in a larger plan
        assert _noise_still_large(16.1 * scale, total, 48, planned)
        assert not _noise_still_large(15.6 * scale, total, 48, planned)


def test_on_a_wide_table_the_annealing_leaves_three_rounds_a_column():
    """gss_wages at epsilon 3 (11 columns, 55 pairs, 48 rounds planned) halved its noise until
    12 rounds had spent the budget, and most pairs were never measured (TSTR 0.76 against
    AIM's 0.78; three rounds a column: 0.84). Here, 11 columns on 20,000 rows: 23 rounds with
    one a column, about 33 with three (the room is checked when the noise is halved, and the last
    round takes what is left: a round or two fewer in some draws)."""
    rng = np.random.default_rng(0)
    n = 20_000
    base = rng.integers(0, 3, n)
    data = pd.DataFrame({f"c{i}": np.where(rng.random(n) < 0.6, base, rng.integers(0, 3, n)).astype(str)
                         for i in range(11)})
    synth = Synthesizer(epsilon=3.0, model="marginals", seed=0, nlp_model=None).fit(data)
    assert synth.engine_.privacy_["rounds"] >= 3 * 11 - 3
    assert synth.ledger_.epsilon_spent() <= 3.0 + 1e-9


def test_other_is_drawn_inside_the_model_only_where_the_release_says_rows_hold_it(tmp_path):
    """A column with values the domain did not release has its "other" drawn inside the tree
    (and replaced); a column whose values were all released keeps "other" masked: there the
    model's "other" cells hold noise alone (ISLR Default told the target: TSTR 0.92 -> 0.81)."""
    rng = np.random.default_rng(0)
    n = 3000
    code = np.where(rng.random(n) < 0.85, rng.choice([0, 1], n, p=[0.7, 0.3]), rng.integers(21, 81, n))
    data = pd.DataFrame({"code": code, "flag": np.where((code > 1) & (rng.random(n) < 0.9), "yes", "no")})
    synth = Synthesizer(epsilon=1.0, model="marginals", seed=0, nlp_model=None,
                        column_types={"code": "categorical"}).fit(data)
    assert synth.engine_.latent_ == ["code"]
    rows = synth.sample(3000, seed=1)
    assert set(rows["code"]) <= set(synth.domain_["code"].categories)
    assert abs((rows["flag"] == "yes").mean() - (data["flag"] == "yes").mean()) < 0.05
    synth.save(tmp_path / "model")
    assert Synthesizer.load(tmp_path / "model").engine_.latent_ == ["code"]


def _related_codes(seed: int, *, rows: int, columns: int, codes: int, copied: float,
                   t_in_c0: float) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Slots for fit_aim: ``columns`` columns of ``codes`` codes, each copying one shared code
    on a ``copied`` share of rows, and a 0/1 ``t`` set on a ``t_in_c0`` share of c0's code 0."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, codes, rows)
    slots = {f"c{i}": np.where(rng.random(rows) < copied, base, rng.integers(0, codes, rows)) for i in range(columns)}
    slots["t"] = ((slots["c0"] == 0) & (rng.random(rows) < t_in_c0)).astype(int)
    return slots, {f"c{i}": codes for i in range(columns)} | {"t": 2}


@pytest.mark.parametrize("rows, columns, codes, max_rounds", [(20_000, 10, 5, 12), (3000, 29, 3, 16)])
def test_on_a_wide_table_every_column_is_in_a_measured_marginal(rows, columns, codes, max_rounds):
    """Caravan (86 columns) not told its target: the rounds chased the largest errors among a few
    strongly related columns, left dozens of columns (the target among them) in no measured
    pair, and TSTR stayed at chance. Here related columns hold most of the error and a ``t``
    follows c0 alone: 11 columns with 12 rounds for 55 pairs, and 30 columns with 16 rounds,
    more columns than rounds (medicaldata opt, 171 columns, 96 rounds, left 37 in no pair while
    a round reached one new column; two waiting columns a round reach all)."""
    from synthrecords.models.aim import fit_aim

    for seed, epsilon in ((0, 3.0), (1, 1.0)):
        slots, sizes = _related_codes(seed, rows=rows, columns=columns, codes=codes, copied=0.8, t_in_c0=0.25)
        ledger = PrivacyLedger(epsilon=epsilon, delta=1e-5)
        ledger.start_fit()
        result = fit_aim(slots, sizes, ledger, target=None, prior=[], rng=np.random.default_rng(seed),
                         max_rounds=max_rounds)
        assert {a for cl in result.measured for a in cl} == set(sizes)
        assert ledger.epsilon_spent() <= epsilon + 1e-9


def test_the_noise_is_not_halved_while_a_column_of_a_wide_table_is_in_no_measured_pair():
    """customers at epsilon 1 (15 columns, 105 pairs, 96 rounds): the annealing halved the noise
    three times and the budget was gone after 9 rounds, with fraud_flag in no measured pair in 4
    of 4 fits (drawn independently: TSTR at chance). Here 14 related columns and a 3 % ``t``
    that follows c0 on 4,000 rows; before the rule ``t`` was in no pair in 2 of 3 seeds."""
    from synthrecords.models.aim import fit_aim

    for seed in (0, 1):
        slots, sizes = _related_codes(seed, rows=4000, columns=14, codes=4, copied=0.9, t_in_c0=0.12)
        ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)
        ledger.start_fit()
        result = fit_aim(slots, sizes, ledger, target=None, prior=[], rng=np.random.default_rng(seed))
        noise = [m.stddev for m in result.measurements[-len(result.measured):]]
        covered, until = set(), None
        for i, clique in enumerate(result.measured):
            covered |= set(clique)
            until = i if until is None and covered == set(sizes) else until
        assert until is not None, "a column was left in no measured marginal"
        assert noise[:until + 1] == [noise[0]] * (until + 1)  # no halving before the last column was reached
        assert ledger.epsilon_spent() <= 1.0 + 1e-9


def test_pairs_too_large_to_measure_count_among_those_the_rounds_cannot_visit():
    """customers told its label lists (879 postcodes, 301 cities): 9 of its 105 pairs are too
    large to measure; counted out, 96 pairs met 96 rounds, the covering rule was off, the budget
    was gone after 9-10 rounds at epsilon 1 and fraud_flag sat in no pair (TSTR 0.40-0.55). Here 5
    of 15 columns have 120 codes (10 pairs over the cell limit) and a 3 % ``t`` follows c0."""
    from synthrecords.models.aim import MAX_CELLS, fit_aim

    rng = np.random.default_rng(7)
    for seed in (0, 1):
        slots, sizes = _related_codes(seed, rows=4000, columns=14, codes=4, copied=0.9, t_in_c0=0.12)
        for name in ("c9", "c10", "c11", "c12", "c13"):
            slots[name], sizes[name] = rng.integers(0, 120, 4000), 120
        assert 120 * 120 > MAX_CELLS
        ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)
        ledger.start_fit()
        result = fit_aim(slots, sizes, ledger, target=None, prior=[], rng=np.random.default_rng(seed))
        assert {a for cl in result.measured if len(cl) > 1 for a in cl} == set(sizes)
        assert ledger.epsilon_spent() <= 1.0 + 1e-9


def test_an_imbalanced_column_goes_into_a_measured_pair_where_the_rounds_could_visit_every_pair():
    """customers without its geography (10 or 12 columns: the rounds planned could visit every
    pair, so nothing was covered first) at epsilon 1: the annealing spent the budget in 6-12
    rounds and fraud_flag (3 %) sat in no pair, TSTR 0.40-0.49. AIM's score is an absolute error,
    and a 3 % column's pairs err by at most 6 % of the rows however strongly it depends. Here 9
    related columns and a 3 % ``t`` that follows c0; the release's 1-way shows ``t`` imbalanced."""
    from synthrecords.models.aim import Measured, fit_aim

    for seed in (0, 1, 2):
        slots, sizes = _related_codes(seed, rows=4000, columns=9, codes=4, copied=0.9, t_in_c0=0.12)
        share = float(slots["t"].mean())
        prior = [Measured(("t",), np.array([1 - share, share]), 40.0)]
        ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)
        ledger.start_fit()
        result = fit_aim(slots, sizes, ledger, target=None, prior=prior, rng=np.random.default_rng(seed))
        assert any("t" in clique for clique in result.measured if len(clique) > 1), f"seed {seed}"
        assert ledger.epsilon_spent() <= 1.0 + 1e-9


def test_a_covering_pair_of_a_number_and_a_category_is_measured_on_coarse_cells_where_noise_drowns_fine_ones():
    """customers at epsilon 1 (noise std 44 a cell): a (tenure_months, fraud_flag) pair on ~20 x 2
    fine cells is mostly noise, so which partner fraud_flag got was chance (TSTR 0.51-0.56); offered
    on ~6 groups a number as well, the selection takes the coarse cells there (0.64-0.68) and the
    fine ones where only they show the relation. Here ``t`` follows c0's lowest 4 of 24 codes (one
    coarse group), then its even codes (no coarse group shows that); c1 copies c0, a derived pair
    of two numbers, measured on whichever cells its score prefers (coarse at epsilon 1)."""
    from synthrecords.models.aim import fit_aim

    slots, sizes = _related_codes(0, rows=20_000, columns=14, codes=4, copied=0.9, t_in_c0=0.0)
    rng = np.random.default_rng(0)
    slots["c0"] = rng.integers(0, 24, 20_000)
    slots["c1"] = np.where(rng.random(20_000) < 0.9, slots["c0"], rng.integers(0, 24, 20_000))
    sizes["c0"] = sizes["c1"] = 24
    for follows, epsilon, on_coarse in ((slots["c0"] < 4, 1.0, True), (slots["c0"] % 2 == 0, 10.0, False)):
        slots["t"] = (follows & (rng.random(20_000) < 0.4)).astype(int)
        ledger = PrivacyLedger(epsilon=epsilon, delta=1e-5)
        ledger.start_fit()
        result = fit_aim(slots, sizes, ledger, target=None, prior=[], rng=np.random.default_rng(1),
                         coarse={"c0": np.arange(24) // 4, "c1": np.arange(24) // 4})
        rounds = result.measurements[-len(result.measured):]
        grouped = {m.clique for m in rounds if m.groups is not None}
        assert ("c0", "t") in result.measured
        assert (("c0", "t") in grouped) is on_coarse
        assert ("c0", "c1") in result.measured
        assert any("coarse cells" in e.detail for e in ledger.entries) == on_coarse
        assert ledger.epsilon_spent() <= epsilon + 1e-9


def test_a_pair_that_holds_rows_in_a_columns_other_keeps_the_other_columns_shares():
    """Caravan at epsilon 1: the release cut PBROM's 5 % code 3 and judged the rows it missed to
    be noise, so PBROM's "other" was masked; ABROM's 6.7 % ones sit only beside PBROM 2-5, and
    once (PBROM, ABROM) was measured, masking "other" took them along: 0-1 % ones in 2 of 4
    fits. Here the domain gives ``p`` one value and records no unreleased share."""
    from synthrecords.models.codec import TableCodec
    from synthrecords.models.marginals import MarginalsEngine
    from synthrecords.models.measures import Measured
    from synthrecords.models.slots import held_other, slot_sizes

    rng = np.random.default_rng(0)
    n = 5000
    p = rng.choice(["0", "3", "4"], n, p=[0.93, 0.05, 0.02])
    data = pd.DataFrame({"p": p, "a": np.where(p == "0", "0", "1")})
    domain = Domain({"p": ColumnDomain("p", "categorical", categories=["0"], frequencies=[1.0], source="dp"),
                     "a": ColumnDomain("a", "categorical", categories=["0", "1"], frequencies=[0.93, 0.07],
                                       source="dp")})
    ledger = PrivacyLedger(1.0, 1e-5)
    ledger.start_fit()
    engine = MarginalsEngine(noise_seed=0)
    engine.fit(data, domain, ledger, seed=0)
    assert engine.latent_ == ["p"]
    rows = engine.sample(20_000, seed=0)
    assert set(rows["p"]) == {"0"} and 0.05 < (rows["a"] == "1").mean() < 0.09  # 0.00 with "other" masked
    # noise alone in "other" is not taken for rows (4 std of the cells summed: ~3e-5 a test)
    codec = TableCodec.from_domain(domain)
    shape = (slot_sizes(codec)["p"], slot_sizes(codec)["a"])
    empty = [Measured(("p", "a"), rng.normal(0, 20.0, shape).ravel(), 20.0) for _ in range(300)]
    assert held_other(codec, empty) == []
    # rows beside one value of the other column: one full cell is enough, though the sum of the
    # row's cells stays under 4 std (Caravan at epsilon 1: ABROM collapsed in 3 of 7 bench fits)
    other = next(c for c in codec.columns if c.name == "p").other_slot
    one = np.zeros(shape)
    one[other, 1] = 4.0 * 44.0 * math.sqrt(shape[1]) - 1
    assert shape[1] >= 3 and held_other(codec, [Measured(("p", "a"), one.ravel(), 44.0)]) == ["p"]


def test_a_round_measures_only_the_slots_that_can_hold_rows():
    """A column the release found no nulls in has a null slot the sampler never emits, and
    labels declared public with no rows found outside them have an "other" it never emits:
    measured, their cells held noise alone, charged to the selection's score (a pair of two
    such binary columns: 16 cells for 4) and fitted by the estimator. On HMDA (1,904 rows, the
    target's labels declared, not told the target) TSTR 0.555 -> 0.605 at epsilon 1 (36 fits) and
    0.66 -> 0.75 at 3. Here ``income`` is nullable and ``plan``'s labels are declared."""
    import re

    data = mixed_table()
    synth = Synthesizer(epsilon=3.0, model="marginals", seed=7, nlp_model=None,
                        public_domain={"plan": {"categories": ["basic", "premium"]}}).fit(data)
    columns = {c.name: c for c in synth.engine_.codec_.columns}
    live = {name: c.size - (not c.nullable) - (name == "plan") for name, c in columns.items()}
    assert columns["income"].nullable and live["plan"] == 2 and live["segment"] == 4
    rounds = [re.search(r"measures (.+) \((\d+) cells\)", e.detail) for e in synth.ledger_.entries
              if e.stage == "train" and re.search(r"round \d+ measures", e.detail) and "coarse" not in e.detail]
    assert all(rounds) and any("plan" in found.group(1).split(" x ") for found in rounds)
    for found in rounds:
        assert int(found.group(2)) == math.prod(live[a] for a in found.group(1).split(" x ")), found.group(0)


def test_two_correlated_numbers_of_a_wide_table_keep_their_correlation():
    """modeldata's credit_data at epsilon 1: on fine cells (~30 x 30 bins) the score charged a pair
    of numbers more noise than its whole error, so Amount-Price (r 0.73) was never measured and
    came out at 0.03. Offered on coarse cells too, such a pair is measured."""
    rng = np.random.default_rng(0)
    n = 4000
    amount = np.exp(rng.normal(7, 0.6, n))
    price = np.round(amount * np.exp(rng.normal(0.3, 0.35, n)), 2)
    frame = pd.DataFrame({"amount": amount.round(2), "price": price} | {
        f"c{i}": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]) for i in range(10)})
    synth = Synthesizer(epsilon=1.0, model="marginals", seed=0, nlp_model=None).fit(frame)
    out = synth.sample(n, seed=1)
    real = frame["amount"].corr(frame["price"], method="spearman")
    assert real > 0.7 and out["amount"].corr(out["price"], method="spearman") > 0.45 * real
