"""The shareable part of a release: what epsilon covers, and nothing else.

A run folder has two parts, by audience (see folder.py). ``owner/`` holds the full
validation, which compares the output with real rows. ``share/`` is built here from the
same report by keeping only what depends on the real data through the ledger's
mechanisms (or on public settings): the synthetic side of every figure, the ledger and
its scope, and the PII decisions without the statistics behind them. Whatever a single
record could move outside the ledger is left out, not rounded: even a bucket can flip.

Kept: the ledger (it is the guarantee), PII categories, entity types and actions (their
classification is read outside the ledger and the scope says so), expectation outcomes on
synthetic rows (no examples: a failing example is withheld when it equals a real
identifier, so its presence depends on real values), the sampling figures of synthetic
rows. Left out: input path, size and sha256 (a hash lets anyone who knows all but one
record test candidates), training row count, fidelity, utility, the privacy metrics and
the leakage check (all compare with real rows), the real-data reference of expectations,
PII confidence and evidence (shares matched, ranges, distinct counts), the dataset budget.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .html import STYLE, _lines, _table, guarantee_text

SHARE, OWNER = "share", "owner"
NOT_FOR_SHARING = (
    "NOT FOR SHARING. This folder compares the synthetic data with the real rows (fidelity, utility, attacks, "
    "expectations on real rows, PII evidence with statistics, the input's sha256 and size). None of it is "
    "covered by the privacy ledger. Hand over the share/ folder only."
)
SHARE_NOTE = ("Shareable part of a synthrecords release: everything here depends on the real data only through "
              "the ledger's mechanisms or through what the scope lists as read outside it.")
PII_FIELDS = ("column", "category", "entities", "action")
RESULT_FIELDS = ("expectation", "column", "severity", "success", "unexpected_percent", "rule")
RUN_FIELDS = ("id", "kind", "engine", "created", "model", "rows_synthetic", "columns_synthetic", "seed", "synthetic")
SUMMARY_FIELDS = ("rows", "columns", "model", "epsilon_target", "epsilon_spent", "delta", "guarantee",
                  "expectations_passed", "expectations_failed", "expectations_blocking_failed")
SAMPLING_DROPPED = ("class_fidelity", "class_fidelity_rows", "unique_redrawn")  # real rows / real identifiers


def share_pii(pii: dict[str, Any]) -> dict[str, Any]:
    """pii.json for share/: per column its category, entity types and action; no confidence, no evidence."""
    return {"columns": [{k: c.get(k) for k in PII_FIELDS} for c in pii.get("columns", [])],
            "nlp_model": pii.get("nlp_model"),
            "note": "categories and actions only; the evidence behind them is in owner/pii.json"}


def share_ledger(privacy: dict[str, Any]) -> dict[str, Any]:
    """The ledger's own fields (whatever PrivacyLedger.to_dict reports) and its scope; an allowlist,
    so a measured figure added to report["privacy"] later stays out of share/ by default."""
    from ..privacy.ledger import PrivacyLedger

    fields = set(PrivacyLedger(1.0, 0.5).to_dict()) | {"scope"}
    return {k: v for k, v in privacy.items() if k in fields}


def share_expectations(expectations: dict[str, Any]) -> dict[str, Any]:
    """Outcomes on synthetic rows only: no examples, observed values, or real-data reference."""
    keep = ("success", "evaluated", "passed", "failed", "blocking_failed", "warnings_failed")
    suites = [{**{k: s.get(k) for k in ("name", "success", "evaluated", "passed", "failed")},
               "results": [{k: r.get(k) for k in RESULT_FIELDS} for r in s.get("results", [])]}
              for s in expectations.get("suites", [])]
    return {**{k: expectations.get(k) for k in keep if k in expectations}, "suites": suites}


def share_report(report: dict[str, Any]) -> dict[str, Any]:
    """report.json for share/, from the full report (owner/report.json)."""
    run = {k: report["run"][k] for k in RUN_FIELDS if k in report["run"]}
    summary = {k: report["summary"].get(k) for k in SUMMARY_FIELDS}
    summary["pii_columns"] = report["summary"].get("pii_columns", [])
    out = {
        "part": SHARE, "note": SHARE_NOTE,
        "run": run, "summary": summary,
        "pii": share_pii(report.get("pii") or {}),
        "expectations": share_expectations(report.get("expectations") or {}),
        "privacy": share_ledger(report.get("privacy") or {}),
        "absent": ["fidelity", "utility", "privacy metrics (distances, membership, attacks)", "leakage check",
                   "expectations on real rows", "PII evidence", "input path, size and sha256"],
    }
    if report.get("model"):  # the engine and why "auto" chose it: from the released domain's shape only
        out["model"] = report["model"]
    if report.get("sampling"):
        out["sampling"] = {k: v for k, v in report["sampling"].items() if k not in SAMPLING_DROPPED}
    return out


def share_manifest(report: dict[str, Any], config: dict[str, Any], versions: dict[str, str],
                   files: dict[str, str]) -> dict[str, Any]:
    """manifest.json for share/: no input section, no input hash; the job's settings without its input."""
    return {"run": report["run"]["id"], "created": report["run"]["created"], "part": SHARE,
            "config": {k: v for k, v in config.items() if k != "input"}, "versions": versions, "files": files}


def render_share(report: dict[str, Any]) -> str:
    """report.html for share/: the guarantee, its scope, the PII actions, synthetic-side checks."""
    run, s, privacy = report["run"], report["summary"], report["privacy"]
    cards = [("synthetic rows", s.get("rows")), ("model", s.get("model") or "n/a"),
             ("privacy", guarantee_text(privacy)),
             ("expectations on synthetic rows",
              f"{s.get('expectations_passed')} passed, {s.get('expectations_failed') or 0} failed")]
    card_html = "".join(f'<div class="card">{escape(k)}<b>{escape(str(v))}</b></div>' for k, v in cards)
    entries = _table(privacy.get("entries") or [], ["fit", "stage", "mechanism", "noise_multiplier", "sample_rate",
                                                    "steps", "delta", "epsilon_alone", "detail"])
    results = [{"suite": suite["name"], **r} for suite in report["expectations"].get("suites", [])
               for r in suite["results"]]
    sections = [
        f"<h1>Synthetic data release (shareable part): {escape(str(run.get('id')))}</h1>",
        f"<p class=note>{escape(SHARE_NOTE)}</p>", f'<div class="cards">{card_html}</div>',
        "<h2>Privacy ledger</h2>",
        f"<p>Neighbouring datasets: {escape(str(privacy.get('neighbouring') or 'not stated'))}.</p>", entries,
        "".join(f'<p class="note">{escape(line)}</p>' for line in _lines(privacy.get("scope"))),
        "<h2>Personal data and what was done</h2>",
        _table(report["pii"].get("columns") or [], list(PII_FIELDS)),
        "<h2>Expectations on the synthetic rows</h2>",
        _table(results, ["suite", "expectation", "column", "severity", "success", "unexpected_percent"]),
        "<h2>Not in this part</h2><p>" + escape("; ".join(report.get("absent") or [])) + ".</p>",
    ]
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>synthrecords shareable release {escape(str(run.get('id')))}</title>"
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(sections) + "\n</body></html>\n")
