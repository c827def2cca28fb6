"""The `synthrecords` command: each verb is argument parsing plus one library call."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer._click import Context
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperGroup

from .errors import SynthRecordsError

log = logging.getLogger("synthrecords")
_debug = False  # set by --debug: errors re-raised with their full traceback


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class _Commands(TyperGroup):
    """Every failure ends as one `error: ...` line on stderr: status 2 for bad input or
    usage, 1 for an unexpected error (plus a hint to rerun with --debug), 130 for Ctrl-C."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        global _debug
        _debug = False  # in-process runners call main repeatedly
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            code = 0
        except ClickException as exc:
            where = f"; see `{exc.ctx.command_path} --help`" if getattr(exc, "ctx", None) else ""
            typer.echo(f"error: {_one_line(exc.format_message()).rstrip('.')}{where}", err=True)
            code = exc.exit_code
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            code = 1
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Context):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except SynthRecordsError as exc:
            if _debug:
                raise
            typer.echo(f"error: {_one_line(exc)}", err=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            if _debug:
                raise
            typer.echo("error: interrupted; outputs are written atomically, so nothing half-written was left", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            if _debug:
                raise
            typer.echo(f"error: unexpected {type(exc).__name__}: {_one_line(exc)[:300]}; rerun with --debug for "
                       "the full trace (and report it if the input looks valid)", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(cls=_Commands, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Differentially private synthetic records, with the evidence to prove it.")


def _fail(exc: Exception) -> None:
    if _debug:
        raise exc
    typer.echo(f"error: {_one_line(exc)}", err=True)
    raise typer.Exit(2)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")] = False,
         debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of any error.")] = False) -> None:
    global _debug
    _debug = debug
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _job(config: Path | None, **overrides) -> JobConfig:  # noqa: F821
    from .config import JobConfig, load_job

    job = load_job(config) if config else JobConfig()
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, key = dotted.split(".")
        setattr(getattr(job, "validate_" if section == "validate" else section), key, value)
    return job


# Job-file keys the fit options set, so a bad value is reported under the option's name.
_OPTION_OF = {"privacy.epsilon": "--epsilon", "privacy.delta": "--delta", "model.epochs": "--epochs",
              "privacy.dataset_budget": "--dataset-budget", "model.name": "--model", "model.engine": "--engine"}


def _revalidate(job):
    try:
        return type(job).from_dict(job.to_dict(), source="options")
    except SynthRecordsError as exc:
        text = str(exc)
        for key, option in _OPTION_OF.items():
            text = text.replace(f"[{key}]", f"{option} (job key {key}):")
        raise SynthRecordsError(text) from None


@app.command()
def scan(data: Path, format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
         nlp_model: Annotated[str | None, typer.Option(help="spaCy model for NER ('none' for patterns only)")] = None,
         engine: Annotated[str, typer.Option(help="pandas, or spark: sample and Presidio on the cluster")] = "pandas",
         spark_master: Annotated[str | None, typer.Option(help="Spark master URL (default local[*] or SPARK_REMOTE)")] = None) -> None:
    """Find personal data: category, entities, confidence and planned action per column."""
    from .config import DEFAULT_NLP_MODEL
    from .pii.scan import scan_pii
    from .read import load_table

    if format not in ("table", "json"):
        _fail(SynthRecordsError(f"--format {format!r}: use 'table' or 'json'"))
    try:
        model = None if nlp_model == "none" else (nlp_model or DEFAULT_NLP_MODEL)
        if engine == "spark":
            from .spark import scan as spark_scan
            from .spark.read import read_table
            from .spark.session import get_session

            report = spark_scan.scan_pii(read_table(get_session(spark_master), data), nlp_model=model)
        elif engine == "pandas":
            report = scan_pii(load_table(data), nlp_model=model)
        else:
            raise SynthRecordsError(f"--engine {engine!r}: use pandas or spark")
    except SynthRecordsError as exc:
        _fail(exc)
    typer.echo(json.dumps(report.to_dict(), indent=2) if format == "json" else report.to_table())


@app.command()
def fit(data: Path, out: Annotated[Path, typer.Option("--out", help="model folder to write")],
        epsilon: float | None = None, delta: float | None = None,
        model: Annotated[str | None, typer.Option(help="dpctgan (DP; the default with --epsilon), or without a formal "
                                                       "guarantee: gaussian_copula (default without), ctgan, tvae")] = None,
        epochs: int | None = None, target: str | None = None,
        config: Annotated[Path | None, typer.Option(help="job TOML for the remaining settings")] = None,
        seed: int | None = None, engine: Annotated[str, typer.Option(help="data engine: pandas or spark")] = "pandas",
        spark_master: Annotated[str | None, typer.Option(help="Spark master URL (default local[*] or SPARK_REMOTE)")] = None,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing --out folder")] = False,
        dataset_budget: Annotated[float | None, typer.Option(help="total epsilon for this dataset across all fits, "
                                                                  "kept in --budget-file")] = None,
        budget_file: Annotated[Path | None, typer.Option(help="dataset budget ledger (default "
                                                             "~/.local/state/synthrecords/budgets.json)")] = None,
        allow_over_budget: Annotated[bool, typer.Option("--allow-over-budget",
                                                        help="fit even past the dataset budget (recorded)")] = False) -> None:
    """Learn a model of DATA (PII protected first) and save it to --out."""
    from .atomic import refuse_existing
    from .pipeline import synthesizer_from
    from .read import load_table

    try:
        job = _job(config, **{"privacy.epsilon": epsilon, "privacy.delta": delta, "model.name": model,
                              "model.epochs": epochs, "model.target": target, "model.seed": seed, "model.engine": engine,
                              "model.spark_master": spark_master, "privacy.dataset_budget": dataset_budget,
                              "privacy.budget_file": budget_file,
                              "privacy.allow_over_budget": allow_over_budget or None})
        job = _revalidate(job)
        refuse_existing(out, overwrite)  # before the training, not after it
        # Spark reads the file itself, on the cluster; pandas loads it here.
        synth = synthesizer_from(job).fit(data if job.model.engine == "spark" else load_table(data))
        synth.save(out, overwrite=overwrite)
    except SynthRecordsError as exc:
        _fail(exc)
    typer.echo(f"model {synth.model_name} saved to {out}")
    typer.echo("\n".join(_privacy_lines(synth.ledger_.to_dict())))
    if getattr(synth, "budget_", None):
        typer.echo(_budget_line(synth.budget_))


@app.command()
def sample(model_dir: Path, rows: Annotated[int, typer.Option("--rows", min=1)], out: Annotated[Path, typer.Option("--out")],
           oversample: Annotated[list[str] | None, typer.Option(help="COL=VALUE:SHARE, repeatable (class mix)")] = None,
           condition: Annotated[list[str] | None, typer.Option(help="COL=VALUE, repeatable (fixed in every row)")] = None,
           filter_rows: Annotated[bool, typer.Option("--filter", help="drop and replace rows breaking a row-level expectation")] = False,
           seed: int | None = None,
           avoid: Annotated[Path | None, typer.Option(help="real data file: fakes never repeat its identifiers")] = None,
           engine: Annotated[str, typer.Option(help="pandas, or spark: --out becomes a partitioned Parquet folder")] = "pandas",
           spark_master: Annotated[str | None, typer.Option(help="Spark master URL (default local[*] or SPARK_REMOTE)")] = None) -> None:
    """Sample synthetic rows from a saved model (costs no privacy budget)."""
    if engine == "spark":
        _sample_spark(model_dir, rows, out, seed, avoid, spark_master, oversample or [], condition or [], filter_rows)
        return
    if engine != "pandas":
        _fail(SynthRecordsError(f"--engine {engine!r}: use pandas or spark"))
    from .atomic import write_table
    from .read import load_table
    from .sample import parse_conditions, parse_oversample
    from .synthesizer import Synthesizer

    try:
        synth = Synthesizer.load(model_dir)
        forbidden = synth.identifier_values(load_table(avoid)) if avoid else None
        df, report = synth.sample_with_report(rows, oversample=parse_oversample(oversample or []),
                                              conditions=parse_conditions(condition or []), filter_rows=filter_rows,
                                              seed=seed, forbidden=forbidden)
        write_table(out, df)
    except SynthRecordsError as exc:
        _fail(exc)
    typer.echo(f"wrote {len(df)} rows to {out}")
    for line in _sampling_lines(report.to_dict()):
        typer.echo(line)


def _sample_spark(model_dir: Path, rows: int, out: Path, seed: int | None, avoid: Path | None,
                  master: str | None, oversample: list[str], condition: list[str], filter_rows: bool) -> None:
    import secrets

    from .sample import parse_conditions, parse_oversample
    from .synthesizer import Synthesizer

    try:
        from .spark.sample import sample_to_parquet
        from .spark.session import get_session
        from .spark.shaped import plan_request

        mix, fixed = parse_oversample(oversample), parse_conditions(condition)
        synth = Synthesizer.load(model_dir)
        plan_request(rows, synth.domain_, oversample=mix, conditions=fixed)  # a bad request fails before Spark starts
        spark = get_session(master)
        forbidden = None
        if avoid:  # the real file is read by Spark too (CSV or Parquet, any size the driver can list)
            from .spark.pipeline import identifier_values
            from .spark.read import read_table

            real = read_table(spark, avoid)
            forbidden = identifier_values(real, [c for c in synth.pii_.columns_in("direct") if c in real.columns])
        result = sample_to_parquet(spark, synth, rows, out, forbidden=forbidden,
                                   seed=secrets.randbits(31) if seed is None else seed, oversample=mix or None,
                                   conditions=fixed or None, filter_rows=filter_rows)
    except SynthRecordsError as exc:
        _fail(exc)
    typer.echo(f"wrote {result.rows} rows to {out} (Parquet, {result.partitions} partitions, {result.seconds:.1f} s)")
    for line in _sampling_lines(result.sampling) if result.sampling else []:
        typer.echo(line)
    redrawn = {c: k for c, k in result.unique_redrawn.items() if k}
    if redrawn:
        typer.echo("unique fakes: " + ", ".join(f"{c} {k} duplicates across partitions redrawn"
                                                for c, k in redrawn.items()))


@app.command()
def validate(real: Annotated[Path, typer.Argument(help="the real rows the model was trained on")],
             synth: Annotated[Path, typer.Argument(help="the synthetic table to check")],
             out: Annotated[Path, typer.Option("--out", help="folder for report.json, report.html, expectations/")],
             holdout: Annotated[Path | None, typer.Option(help="real rows the model never saw: enables utility, "
                                                                 "membership and re-identification attacks")] = None,
             target: Annotated[str | None, typer.Option(help="column to predict for utility (TSTR vs TRTR); "
                                                              "defaults to the model's target")] = None,
             model: Annotated[Path | None, typer.Option(help="model folder: its released domain, PII findings, "
                                                             "ledger and target")] = None,
             suite: Annotated[list[Path] | None, typer.Option(help="extra expectation suite JSON, repeatable")] = None,
             seed: Annotated[int, typer.Option(help="seed of the samples and models the metrics use")] = 0,
             engine: Annotated[str, typer.Option(help="pandas, or spark: CSV/Parquet read by Spark, expectations and "
                                                      "leakage on every row, metrics on stated samples")] = "pandas",
             spark_master: Annotated[str | None, typer.Option(help="Spark master URL (default local[*] or SPARK_REMOTE)")] = None) -> None:
    """Validate SYNTH against REAL: expectations, fidelity, utility, privacy; exit 1 when a
    blocking expectation or the leakage check fails."""
    from .pipeline import validate_files

    try:
        if engine == "spark":
            from .spark.pipeline import validate_files as spark_validate_files

            report = spark_validate_files(real, synth, out, holdout=holdout, model_dir=model, suites=suite or [],
                                          target=target, seed=seed, master=spark_master)
        elif engine == "pandas":
            report = validate_files(real, synth, out, holdout=holdout, model_dir=model, suites=suite or [],
                                    target=target, seed=seed)
        else:
            raise SynthRecordsError(f"--engine {engine!r}: use pandas or spark")
    except SynthRecordsError as exc:
        _fail(exc)
    s = report.report["summary"]
    e = report.expectations
    fidelity_text = "n/a (no shared columns)" if s["fidelity_score"] is None else f"{s['fidelity_score']:.1%}"
    mia = s["membership_auc"]
    typer.echo("\n".join([
        (f"expectations: {e.passed} passed, {e.failed} failed ({e.blocking_failed} blocking, "
         f"{e.warnings_failed} warnings)"),
        f"fidelity: {fidelity_text}; detection AUC {_opt(s['detection_auc'])} (0.5 best)",
        f"utility: {s['utility']}",
        (f"privacy: membership attack AUC {_opt(mia)} (0.5 best); exact copies "
         f"{_opt(s['exact_match_share'], '.2%')}; leakage check {'passed' if report.leakage.passed else 'FAILED'}"),
        *([_spark_sample_line(report.sampling)] if engine == "spark" else []),
        f"report: {out / 'report.html'}"]))
    raise typer.Exit(0 if report.passed and report.leakage.passed else 1)


def _spark_sample_line(sizes: dict) -> str:
    return (f"metrics on samples: {sizes['real_rows_sampled']} of {sizes['real_rows']} real rows, "
            f"{sizes['synthetic_rows_sampled']} of {sizes['synthetic_rows']} synthetic rows; expectations and "
            "leakage on every row")


def _opt(value: float | None, fmt: str = ".3f") -> str:
    return "n/a" if value is None else format(value, fmt)


@app.command()
def protect(data: Path, out: Annotated[Path, typer.Option("--out", help="pseudonymised CSV/Parquet to write")],
            secret_env: Annotated[str, typer.Option(help="environment variable holding the secret key")] = "SYNTHRECORDS_SECRET",
            nlp_model: Annotated[str | None, typer.Option(help="spaCy model for NER ('none' for patterns only)")] = None) -> None:
    """Pseudonymise real rows: keyed fakes for identifiers (same value -> same fake), redacted free text.

    Not synthetic data: only identifiers change. With no secret in the environment a random
    one is used for this run only (consistent within the run, never written anywhere).
    """
    import os
    import secrets

    from .config import DEFAULT_NLP_MODEL
    from .pipeline import pseudonymize_file

    key = os.environ.get(secret_env)
    secret = key.encode() if key else secrets.token_bytes(32)
    try:
        report = pseudonymize_file(data, out, secret=secret, nlp_model=None if nlp_model == "none" else (nlp_model or DEFAULT_NLP_MODEL))
    except SynthRecordsError as exc:
        _fail(exc)
    direct = report.columns_in("direct")
    typer.echo(f"wrote {out}: {len(direct)} identifier columns replaced ({', '.join(direct) or 'none'}), "
               f"key {'from $' + secret_env if key else 'random, this run only'}")


@app.command()
def run(job_file: Path,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing release folder")] = False,
        allow_over_budget: Annotated[bool, typer.Option("--allow-over-budget",
                                                        help="fit even past [privacy] dataset_budget (recorded)")] = False) -> None:
    """Run a whole job file and write its release folder."""
    from .config import load_job
    from .pipeline import run_job

    try:
        job = load_job(job_file)
        job.output.overwrite = job.output.overwrite or overwrite
        job.privacy.allow_over_budget = job.privacy.allow_over_budget or allow_over_budget
        result = run_job(job)
    except SynthRecordsError as exc:
        _fail(exc)
    _print_summary(result)


@app.command()
def demo(out: Annotated[Path, typer.Option(help="release folder")] = Path("runs/demo")) -> None:
    """Run the full pipeline on sample_data/customers.csv."""
    from .config import load_job
    from .pipeline import run_job

    try:
        job = load_job(_repo_file("sample_data/demo.toml"))
        job.output.dir = out.resolve()
        job.output.overwrite = True  # the demo folder is its own: `make demo` stays re-runnable
        result = run_job(job)
    except SynthRecordsError as exc:
        _fail(exc)
    _print_summary(result)


@app.command()
def dashboard(run_dir: Path, port: int | None = None) -> None:
    """Open the Streamlit dashboard on a run folder."""
    from .dashboard import launch

    try:
        code = launch(run_dir, port=port)
    except SynthRecordsError as exc:
        _fail(exc)
    raise typer.Exit(code)


def _repo_file(relative: str) -> Path:
    path = Path(__file__).resolve().parents[1] / relative
    if not path.exists():
        raise SynthRecordsError(f"{relative} not found next to the package ({path}); run the demo from a source checkout")
    return path


def _privacy_lines(ledger: dict) -> list[str]:
    """The ledger as the CLI prints it: the composed guarantee, then each mechanism."""
    if ledger["epsilon_target"] is None:
        return ["privacy: no formal privacy guarantee (no epsilon set)"]
    lines = [(f"privacy: epsilon spent {ledger['epsilon_spent']:.3g} of {ledger['epsilon_target']:g}, "
             f"delta {ledger['delta']:.2g} (all mechanisms composed in RDP)")]
    for e in ledger["entries"]:
        rate = "" if e["sample_rate"] >= 1 else f", sample rate {e['sample_rate']:.3g}, {e['steps']} steps"
        lines.append(f"  {e['stage']}: noise multiplier {e['noise_multiplier']:.3g}{rate} "
                     f"(alone: epsilon {e['epsilon_alone']:.3g})")
    return lines


def _budget_line(status: dict) -> str:
    spent = "unbounded (a fit without epsilon)" if status["epsilon_spent"] is None else f"{status['epsilon_spent']:.3g}"
    cap = "no cap" if status["budget"] is None else f"of {status['budget']:g}"
    over = " (OVER BUDGET, allowed)" if status["over_budget"] else ""
    return (f"dataset budget: epsilon {spent} {cap} spent over {status['fits']} fit(s), composed in RDP{over}; "
            f"ledger {status['ledger_file']}")


def _sampling_lines(report: dict) -> list[str]:
    """Requested vs achieved class mix, acceptance and filter rates, when any were asked for."""
    lines = []
    for column, shares in report["requested"].items():
        got = report["achieved"][column]
        lines.append(f"mix {column}: " + ", ".join(f"{v} asked {s:.1%} got {got[v]:.1%}" for v, s in shares.items()))
    if report["conditions"]:
        lines.append("conditions: " + ", ".join(f"{c}={v}" for c, v in report["conditions"].items()))
    if report["acceptance_rate"] is not None and (report["requested"] or report["conditions"]):
        lines.append(f"acceptance rate {report['acceptance_rate']:.1%}")
    for done in (report.get("constraints") or {}).get("constraints", []):
        counts = ", ".join(f"{k} {v}" for k, v in done.items() if k != "constraint" and v)
        lines.append(f"{done['constraint']}: {counts or 'nothing to do'}")
    if report["filter"]["rejection_rate"] is not None:
        lines.append(f"filter: {report['filter']['rejected']} of {report['filter']['checked']} rows broke a "
                     f"row-level expectation and were replaced ({report['filter']['rejection_rate']:.1%})")
    return lines


def _fidelity_scope(report: dict) -> str:
    """Which columns the fidelity figure covers: every compared column, declared ones included."""
    columns = (report.get("fidelity") or {}).get("columns") or []
    return f" (SDMetrics quality over the whole table: {len(columns)} columns)" if columns else ""


def _print_summary(result) -> None:
    s = result.summary
    lines = [f"release: {result.out_dir}",
             f"rows: {s['rows']} synthetic x {s['columns']} columns, model {s['model']}",
             *_privacy_lines(result.report["privacy"]),
             f"fidelity score: {s['fidelity_score']:.1%}{_fidelity_scope(result.report)}",
             f"expectations: {s['expectations_passed']} passed, {s['expectations_failed']} failed",
             f"leakage check: {'passed' if s['leakage_passed'] else 'FAILED'}",
             *_sampling_lines(result.report["sampling"]),
             *([_budget_line(result.synthesizer.budget_)] if getattr(result.synthesizer, "budget_", None) else []),
             "PII columns: " + (", ".join(f"{p['column']} ({p['category']}: {p['action']})" for p in s["pii_columns"]) or "none")]
    typer.echo("\n".join(lines))
    if not s["leakage_passed"]:
        sys.exit(1)
