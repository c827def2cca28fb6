"""The `synthrecords` command: each verb is argument parsing plus one library call."""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer._click import Context
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperGroup

from . import interrupt
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
        _flags_take_no_value(self)
        try:
            with interrupt.caught():
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
        from . import progress

        progress.show("quiet")  # the display chosen for this invocation ends with it
        if not standalone_mode:
            return code
        if code == 130:  # interrupted: leave now. Python's shutdown (jax's atexit, signal reset)
            # sometimes turned a handled Ctrl-C into death by SIGINT (status -2) instead of 130.
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
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
            interrupt.handled()
            if _debug:
                raise
            typer.echo("error: interrupted; outputs are written atomically, so nothing half-written was left", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            if _debug:
                raise
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):  # outside atomic writes too
                typer.echo(f"error: no space left on the device while writing {exc.filename or 'an output'}; free "
                           "some space or write to another disk", err=True)
                raise typer.Exit(2) from None
            typer.echo(f"error: unexpected {type(exc).__name__}: {_one_line(exc)[:300]}; rerun with --debug for "
                       "the full trace (and report it if the input looks valid)", err=True)
            raise typer.Exit(1) from None


_DEVICE_HELP = "where torch computes: auto (CUDA when a GPU is present), cpu, or cuda"


def _flags_take_no_value(group: TyperGroup) -> None:
    # Typer's help shows every flag as `--filter <bool>`, although `--filter true` is an error.
    from typer._click.decorators import help_option

    for command in [group, *group.commands.values()]:
        if command._help_option is None:  # built here, as click would on first use, to show it the same way
            help_option(["--help"])(command)
            command._help_option = command.params.pop()
        for param in [*command.params, command._help_option]:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""


app = typer.Typer(cls=_Commands, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Differentially private synthetic records, with the evidence to prove it.")


def _fail(exc: Exception) -> None:
    if _debug:
        raise exc
    typer.echo(f"error: {_one_line(exc)}", err=True)
    raise typer.Exit(2)


def _require(*paths: Path | None, model: Path | None = None) -> None:
    """Name a missing input before the heavy libraries load (a typo should not cost minutes)."""
    for path in paths:
        if path is not None and not Path(path).exists():
            _fail(SynthRecordsError(f"input file {path} not found; check the path"))
    if model is not None and not Path(model).is_dir():
        _fail(SynthRecordsError(f"model folder {model} not found; create one with `synthrecords fit --out {model}`"))


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also log what each step did (synthrecords' "
                                                                        "own messages; other libraries' stay quiet).")] = False,
         quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output: only results and errors.")] = False,
         debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of any error.")] = False) -> None:
    """Long steps show progress on stderr: a bar on a terminal, else a line at least every 5 s."""
    from . import progress

    global _debug
    _debug = debug
    # Only our own loggers speak at -v: Great Expectations, SDV and Presidio log internals at INFO.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO if verbose else logging.WARNING)
    progress.show(progress.auto_mode(quiet))


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
              "privacy.dataset_budget": "--dataset-budget", "model.name": "--model", "model.engine": "--engine",
              "model.device": "--device"}


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
    if engine == "pandas":
        _require(data)
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
        epsilon: Annotated[float | None, typer.Option(help="privacy budget: the model is (epsilon, delta)-DP end to "
                                                           "end; omit for no formal guarantee")] = None,
        delta: Annotated[float | None, typer.Option(help="DP delta (default 1/(10 rows); 1/rows or more is "
                                                         "refused)")] = None,
        model: Annotated[str | None, typer.Option(help="auto (DP; the default with --epsilon: marginals or "
                                                       "dpctgan by the table's shape), marginals (DP: AIM-style "
                                                       "noisy marginals), dpctgan (DP-SGD), or without a formal "
                                                       "guarantee: "
                                                       "gaussian_copula (default without), ctgan, tvae")] = None,
        epochs: Annotated[int | None, typer.Option(help="training epochs of dpctgan, ctgan or tvae (default: the "
                                                       "model's own)")] = None,
        target: Annotated[str | None, typer.Option(help="the column that matters: learned per class, for "
                                                        "--oversample, conditions and utility")] = None,
        config: Annotated[Path | None, typer.Option(help="job TOML for the remaining settings")] = None,
        seed: Annotated[int | None, typer.Option(help="seed of the model's initialisation and sampling (the DP "
                                                      "noise is always secret)")] = None,
        engine: Annotated[str, typer.Option(help="data engine: pandas or spark")] = "pandas",
        spark_master: Annotated[str | None, typer.Option(help="Spark master URL (default local[*] or SPARK_REMOTE)")] = None,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing --out folder")] = False,
        dataset_budget: Annotated[float | None, typer.Option(help="total epsilon for this dataset across all fits, "
                                                                  "kept in --budget-file")] = None,
        budget_file: Annotated[Path | None, typer.Option(help="dataset budget ledger (default "
                                                             "~/.local/state/synthrecords/budgets.json)")] = None,
        allow_over_budget: Annotated[bool, typer.Option("--allow-over-budget",
                                                        help="fit even past the dataset budget (recorded)")] = False,
        dataset_id: Annotated[str | None, typer.Option(help="the dataset's name in the budget ledger (default: a "
                                                            "hash of its values, whatever the row/column order)")] = None,
        secure: Annotated[bool, typer.Option("--secure", help="Opacus secure mode for dpctgan's DP-SGD noise "
                                                              "(slower; see README)")] = False,
        device: Annotated[str | None, typer.Option(help=_DEVICE_HELP)] = None) -> None:
    """Learn a model of DATA (PII protected first) and save it to --out."""
    _require(config)
    from .atomic import refuse_existing

    try:
        job = _job(config, **{"privacy.epsilon": epsilon, "privacy.delta": delta, "model.name": model,
                              "model.epochs": epochs, "model.target": target, "model.seed": seed, "model.engine": engine,
                              "model.spark_master": spark_master, "privacy.dataset_budget": dataset_budget,
                              "privacy.budget_file": budget_file,
                              "privacy.allow_over_budget": allow_over_budget or None,
                              "privacy.dataset_id": dataset_id, "privacy.secure": secure or None,
                              "model.device": device})
        job = _revalidate(job)  # options first (cheap), then the input, still before the heavy imports
        if job.model.engine == "pandas":
            _require(data)
        refuse_existing(out, overwrite, keep=(data, config))  # before the training, not after it
        # Spark reads the file itself, on the cluster; pandas loads it here, before the heavy
        # imports below (torch, Presidio, SDV): a missing or bad file is reported at once.
        from .read import load_table  # imports pandas: after the cheap checks of options and paths

        table = data if job.model.engine == "spark" else load_table(data)
        from .pipeline import synthesizer_from

        synth = synthesizer_from(job).fit(table)
        synth.save(out, overwrite=overwrite)
    except SynthRecordsError as exc:
        _fail(exc)
    typer.echo(f"model {synth.model_name} saved to {out}")
    if getattr(synth, "model_choice_", None) is not None:
        typer.echo(f"model auto chose {synth.model_choice_.choice}: {synth.model_choice_.reason}")
    typer.echo("\n".join(_privacy_lines(synth.ledger_.to_dict())))
    if getattr(synth, "budget_", None):
        typer.echo(_budget_line(synth.budget_))


@app.command()
def sample(model_dir: Path, rows: Annotated[int, typer.Option("--rows", min=1, help="rows to sample")],
           out: Annotated[Path, typer.Option("--out", help="CSV or Parquet file to write")],
           oversample: Annotated[list[str] | None, typer.Option(help="COL=VALUE:SHARE, repeatable (class mix)")] = None,
           condition: Annotated[list[str] | None, typer.Option(help="COL=VALUE, repeatable (fixed in every row)")] = None,
           filter_rows: Annotated[bool, typer.Option("--filter", help="drop and replace rows breaking a row-level expectation")] = False,
           seed: Annotated[int | None, typer.Option(help="same seed and model: same rows")] = None,
           avoid: Annotated[Path | None, typer.Option(help="deprecated and ignored: fakes are drawn without the real data")] = None,
           engine: Annotated[str, typer.Option(help="pandas, or spark: --out becomes a partitioned Parquet folder")] = "pandas",
           spark_master: Annotated[str | None, typer.Option(help="Spark master URL (default local[*] or SPARK_REMOTE)")] = None,
           overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing --out file")] = False,
           device: Annotated[str, typer.Option(help=_DEVICE_HELP)] = "auto") -> None:
    """Sample synthetic rows from a saved model (costs no privacy budget)."""
    _require(model=model_dir)
    if avoid is not None:
        typer.echo("warning: --avoid is deprecated and ignored: fake identifiers come from invented names and value "
                   "spaces no real identifier occupies, so nothing is re-drawn against the real file", err=True)
    from .atomic import refuse_existing

    try:  # before loading the model, not after sampling
        refuse_existing(out, overwrite, keep=(model_dir,), kind="folder" if engine == "spark" else "file")
    except SynthRecordsError as exc:
        _fail(exc)
    if engine == "spark":
        _sample_spark(model_dir, rows, out, seed, spark_master, oversample or [], condition or [], filter_rows)
        return
    if engine != "pandas":
        _fail(SynthRecordsError(f"--engine {engine!r}: use pandas or spark"))
    from .atomic import write_table
    from .sample import parse_conditions, parse_oversample
    from .synthesizer import Synthesizer

    try:
        synth = Synthesizer.load(model_dir, device=device)
        df, report = synth.sample_with_report(rows, oversample=parse_oversample(oversample or []),
                                              conditions=parse_conditions(condition or []), filter_rows=filter_rows,
                                              seed=seed)
        write_table(out, df, overwrite=overwrite, keep=(model_dir,))
    except SynthRecordsError as exc:
        _fail(exc)
    typer.echo(f"wrote {len(df)} rows to {out}")
    for line in _sampling_lines(report.to_dict()):
        typer.echo(line)


def _sample_spark(model_dir: Path, rows: int, out: Path, seed: int | None, master: str | None, oversample: list[str], condition: list[str], filter_rows: bool) -> None:
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
        result = sample_to_parquet(spark, synth, rows, out,
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
             spark_master: Annotated[str | None, typer.Option(help="Spark master URL (default local[*] or SPARK_REMOTE)")] = None,
             overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing --out folder")] = False) -> None:
    """Validate SYNTH against REAL: expectations, fidelity, utility, privacy; exit 1 when a
    blocking expectation or the leakage check fails."""
    if engine == "pandas":
        _require(real, synth, holdout, *(suite or []), model=model)
    from .atomic import refuse_existing
    from .pipeline import validate_files

    try:
        refuse_existing(out, overwrite, keep=(real, synth, holdout, model, *(suite or [])))
        if engine == "spark":
            from .spark.pipeline import validate_files as spark_validate_files

            report = spark_validate_files(real, synth, out, holdout=holdout, model_dir=model, suites=suite or [],
                                          target=target, seed=seed, master=spark_master)
        elif engine == "pandas":
            report = validate_files(real, synth, out, holdout=holdout, model_dir=model, suites=suite or [],
                                    target=target, seed=seed, overwrite=overwrite)
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
        *_verdict_lines(report.report),
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
            nlp_model: Annotated[str | None, typer.Option(help="spaCy model for NER ('none' for patterns only)")] = None,
            overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing --out file")] = False) -> None:
    """Pseudonymise real rows: keyed fakes for identifiers (same value -> same fake), redacted free text.

    Not synthetic data: only identifiers change. With no secret in the environment a random
    one is used for this run only (consistent within the run, never written anywhere).
    """
    _require(data)
    import os
    import secrets

    from .config import DEFAULT_NLP_MODEL
    from .pipeline import pseudonymize_file

    key = os.environ.get(secret_env)
    secret = key.encode() if key else secrets.token_bytes(32)
    try:
        report = pseudonymize_file(data, out, secret=secret, overwrite=overwrite,
                                   nlp_model=None if nlp_model == "none" else (nlp_model or DEFAULT_NLP_MODEL))
    except SynthRecordsError as exc:
        _fail(exc)
    direct = report.columns_in("direct")
    typer.echo(f"wrote {out}: {len(direct)} identifier columns replaced ({', '.join(direct) or 'none'}), "
               f"key {'from $' + secret_env if key else 'random, this run only'}")


@app.command()
def run(job_file: Path,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing release folder")] = False,
        allow_over_budget: Annotated[bool, typer.Option("--allow-over-budget",
                                                        help="fit even past [privacy] dataset_budget (recorded)")] = False,
        secure: Annotated[bool, typer.Option("--secure", help="Opacus secure mode for dpctgan's DP-SGD noise, as "
                                                              "[privacy] secure = true (slower; see README)")] = False,
        device: Annotated[str | None, typer.Option(help=_DEVICE_HELP + " (default: [model] device)")] = None) -> None:
    """Run a whole job file and write its release folder."""
    from .config import load_job

    try:
        job = load_job(job_file)
        if job.model.engine == "pandas":
            _require(job.input.path)
        if device is not None:
            job.model.device = device
            job = _revalidate(job)
        job.output.overwrite = job.output.overwrite or overwrite
        job.privacy.allow_over_budget = job.privacy.allow_over_budget or allow_over_budget
        job.privacy.secure = job.privacy.secure or secure
        # torch, Presidio, SDV: imported once the job file and options are known to be good
        from .pipeline import run_job

        result = run_job(job)
    except SynthRecordsError as exc:
        _fail(exc)
    _print_summary(result)


@app.command()
def audit(data: Path,
          epsilon: Annotated[float, typer.Option(help="the claimed epsilon to test (the DP model is fitted at it)")],
          model: Annotated[str | None, typer.Option(help="dpctgan (default), or a model without DP as a control: "
                                                         "gaussian_copula, ctgan, tvae")] = None,
          canaries: Annotated[int, typer.Option(help="number of canary records; each joins the training table with "
                                                     "probability 1/2")] = 1000,
          seed: Annotated[int | None, typer.Option(help="seed of the canaries, their inclusion, the guesses and the fit "
                                                        "(DP noise stays fresh)")] = None,
          rows: Annotated[int | None, typer.Option(min=1, help="synthetic rows to score (default 5x the training "
                                                               "rows)")] = None,
          epochs: Annotated[int | None, typer.Option(min=1, help="training epochs (default: the model's)")] = None,
          nlp_model: Annotated[str | None, typer.Option(help="spaCy model for the PII scan ('none' for patterns "
                                                             "only)")] = None,
          out: Annotated[Path | None, typer.Option("--out", help="folder to write audit.json into")] = None,
          overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing audit.json")] = False) -> None:
    """Test a privacy claim empirically: plant canaries, fit once, guess membership from the
    synthetic rows, and print the epsilon lower bound (95 %) beside the claim."""
    from .atomic import refuse_existing
    from .audit import RESULT_FILE, run_audit, write_result
    from .config import DEFAULT_NLP_MODEL
    from .read import load_table

    try:
        if out is not None:
            refuse_existing(out / RESULT_FILE, overwrite, keep=[data], kind="file")  # before the fit, not after it
        result = run_audit(load_table(data), epsilon, model=model, canaries=canaries, seed=seed, rows=rows,
                           epochs=epochs, nlp_model=None if nlp_model == "none" else (nlp_model or DEFAULT_NLP_MODEL))
        path = write_result(result, out, overwrite=overwrite, keep=(data,)) if out is not None else None
    except SynthRecordsError as exc:
        _fail(exc)
    claim = (f"epsilon spent {result.epsilon_spent:.3g} of {result.claimed_epsilon:g}, delta {result.delta:.2g}"
             if result.private else f"no formal guarantee: tested against epsilon {result.claimed_epsilon:g}, "
                                    f"delta {result.delta:.2g}")
    typer.echo(f"audit of {result.model} ({claim}): {result.canaries} canaries, {result.included} trained on, "
               f"{result.correct} of {result.guesses} guesses correct")
    for c in result.channels:
        typer.echo(f"  {c.channel} ({', '.join(c.columns)}): {c.correct} of {c.guesses} correct, "
                   f"{c.canaries} canaries (alone: lower bound {c.empirical_epsilon:.3g})")
    typer.echo(result.line())
    if path is not None:
        typer.echo(f"result: {path}")


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
def dashboard(run_dir: Path,
              port: Annotated[int | None, typer.Option(help="local port to serve on (default: Streamlit's "
                                                            "8501)")] = None) -> None:
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
    groups: dict[tuple[str, str], list[dict]] = {}  # first-seen order: the order they spent in
    for e in ledger["entries"]:
        groups.setdefault((e["stage"], e.get("mechanism", "gaussian")), []).append(e)
    for (stage, mechanism), entries in groups.items():
        if len(entries) > MAX_LEDGER_LINES:  # an adaptive model's rounds: one line per kind, with ranges
            lines.append(f"  {stage}: {len(entries)} {_mechanism_text(mechanism, entries)} "
                         f"(each alone: epsilon {_span(e['epsilon_alone'] for e in entries)})")
            continue
        for e in entries:
            rate = "" if e["sample_rate"] >= 1 else f", sample rate {e['sample_rate']:.3g}, {e['steps']} steps"
            what = ("exponential-mechanism selection" if mechanism == "exponential"
                    else f"noise multiplier {e['noise_multiplier']:.3g}{rate}")
            lines.append(f"  {stage}: {what} (alone: epsilon {e['epsilon_alone']:.3g})")
    return lines


MAX_LEDGER_LINES = 3  # more entries of one stage and kind are summarised on one line


def _mechanism_text(mechanism: str, entries: list[dict]) -> str:
    if mechanism == "exponential":
        return "exponential-mechanism selections"
    return f"Gaussian measurements, noise multiplier {_span(e['noise_multiplier'] for e in entries)}"


def _span(values) -> str:
    values = sorted(values)
    low, high = f"{values[0]:.3g}", f"{values[-1]:.3g}"
    return low if low == high else f"{low}-{high}"


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
    fid = report.get("fidelity") or {}
    columns, coarse = fid.get("columns") or [], fid.get("at_released_granularity")
    text = f" (SDMetrics quality over the whole table: {len(columns)} columns)" if columns else ""
    if coarse and coarse.get("quality_score") is not None:
        text += (f"; {coarse['quality_score']:.1%} against the real rows generalised as released "
                 f"({', '.join(coarse['columns'])})")
    return text


def _verdict_lines(report: dict) -> list[str]:
    """The judged headline figures (utility with its interval) and the verdict, last: the
    same decision report.html and the dashboard show (synthrecords.release.verdict)."""
    from .release.verdict import verdict

    decided = verdict(report)
    lines = ["headline figures, judged good / review / poor:"]
    lines += [f"  {f.line()}" for f in decided.figures]
    util = report.get("utility") or {}
    if util.get("status") == "measured" and util.get("too_small"):
        lines.append(f"  utility: {util['too_small']}")
    lines.append(f"verdict: {decided.headline}")
    lines += [f"  {i}. {f.page} ({f.level}): {f.text}" for i, f in enumerate(decided.findings, 1)]
    return lines


def _print_summary(result) -> None:
    s = result.summary
    lines = [f"release: {result.out_dir}",
             *([f"  share: {result.out_dir / 'share'} (what you may hand over)",
                f"  owner: {result.out_dir / 'owner'} (full validation against real rows: NOT FOR SHARING)"]
               if result.out_dir is not None else []),
             f"rows: {s['rows']} synthetic x {s['columns']} columns, model {s['model']}",
             *_privacy_lines(result.report["privacy"]),
             f"fidelity score: {s['fidelity_score']:.1%}{_fidelity_scope(result.report)}",
             f"expectations: {s['expectations_passed']} passed, {s['expectations_failed']} failed",
             f"leakage check: {'passed' if s['leakage_passed'] else 'FAILED'}",
             *_sampling_lines(result.report["sampling"]),
             *([_budget_line(result.synthesizer.budget_)] if getattr(result.synthesizer, "budget_", None) else []),
             "PII columns: " + (", ".join(f"{p['column']} ({p['category']}: {p['action']})" for p in s["pii_columns"]) or "none"),
             *_verdict_lines(result.report)]
    typer.echo("\n".join(lines))
    if not s["leakage_passed"]:
        sys.exit(1)
