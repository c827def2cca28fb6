"""report.html: the evidence of a run or a `validate` on one self-contained page.

No scripts, no external fonts, styles or images: charts are inline SVG drawn from the
aggregates in report.json (see ``charts``), so the page reads the same offline.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .svg import HOLDOUT, REAL, SYNTH, grouped_bars, heatmap, histogram
from .verdict import utility_judgement, utility_value, verdict

STYLE = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:74rem;color:#222;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.ok{color:#17692f;font-weight:600}.bad{color:#b00020;font-weight:600}.warn{color:#8a5a00;font-weight:600}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem}
.card b{display:block;font-size:1.3rem}.charts{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem}
.note{color:#555;font-size:.9rem}details{margin:.5rem 0 1rem}"""


def _table(rows: list[dict[str, Any]], columns: list[str], empty: str = "nothing to list") -> str:
    if not rows:
        return f"<p><i>{escape(empty)}</i></p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


class _Html(str):
    """Markup built here (a verdict), inserted as is; every other cell is escaped."""


def _cell(value: Any) -> str:
    return value if isinstance(value, _Html) else escape(_fmt(value))


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(map(_fmt, value))
    if isinstance(value, dict):  # a table cell never shows Python's braces
        return _rows(value)
    return "" if value is None else str(value)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _verdict(ok: bool, warning: bool = False) -> str:
    if ok:
        return _Html('<span class="ok">passed</span>')
    return _Html('<span class="warn">warning</span>' if warning else '<span class="bad">FAILED</span>')


def _rows(used: Any) -> str:
    """``{'real': 3988, 'synthetic': 2000}`` as ``3,988 real, 2,000 synthetic`` (no dict in prose)."""
    if not isinstance(used, dict):
        return "n/a" if used is None else _fmt(used)
    return ", ".join(f"{v:,} {k.replace('_', ' ')}" if isinstance(v, int) else f"{_fmt(v)} {k.replace('_', ' ')}"
                     for k, v in used.items()) or "n/a"


_WORD_CLASS = {"good": "ok", "review": "warn", "poor": "bad", "stop": "bad", "note": "note"}


def _word(word: str) -> _Html:
    return _Html(f'<span class="{_WORD_CLASS.get(word, "note")}">{escape(word)}</span>')


def _lines(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def guarantee_text(privacy: dict[str, Any]) -> str:
    if privacy.get("guarantee") == "unknown":
        return "unknown: no model given (--model), so no privacy ledger"
    if privacy.get("epsilon_target") is None:
        return "no formal privacy guarantee (no epsilon set)"
    return (f"(ε={privacy['epsilon_spent']:.4g} of {privacy['epsilon_target']:g}, "
            f"δ={privacy['delta']:.3g})-differential privacy")


def render_report(report: dict[str, Any]) -> str:
    run, s = report["run"], report["summary"]
    kind = "Validation report" if run.get("kind") == "validate" else "Synthetic data release"
    sections = [_header(report, kind), _verdict_section(report), _expectations(report), _fidelity(report),
                _utility(report),
                _privacy(report), _pii(report), _sampling(report), _run_details(report)]
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<title>synthrecords {escape(kind.lower())} {escape(str(run.get("id")))}</title>'
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(x for x in sections if x)
            + f"\n<p class=note>{escape(str(s.get('rows')))} synthetic rows; real data appears on this page "
              "only as aggregates (shares, scores, distances).</p></body></html>\n")


def _header(report: dict[str, Any], kind: str) -> str:
    run, s, privacy = report["run"], report["summary"], report["privacy"]
    source = run.get("input") or {}
    e_failed, blocking = s.get("expectations_failed") or 0, s.get("expectations_blocking_failed") or 0
    cards = [("synthetic rows", s.get("rows")), ("model", s.get("model") or "n/a"),
             ("privacy", guarantee_text(privacy)),
             ("fidelity (SDMetrics)", _pct(s.get("fidelity_score"))),
             ("detection AUC (0.5 best)", _num(s.get("detection_auc"))),
             ("expectations", f"{s.get('expectations_passed')} passed, {e_failed} failed"
                              + (f" ({blocking} blocking)" if e_failed else "")),
             ("membership attack AUC (0.5 best)", _num(s.get("membership_auc"))),
             ("leakage check", "passed" if s.get("leakage_passed") else "FAILED")]
    card_html = "".join(f'<div class="card">{escape(k)}<b>{escape(str(v))}</b></div>' for k, v in cards)
    sha = (source.get("sha256") or "")[:16]
    return (f"<h1>{escape(kind)}: {escape(str(run.get('id')))}</h1>"
            f"<p>Created {escape(str(run.get('created')))} from <code>{escape(str(source.get('path')))}</code> "
            f"({escape(str(source.get('rows')))} rows, sha256 <code>{escape(sha)}…</code>).</p>"
            f'<div class="cards">{card_html}</div>')


def _verdict_section(report: dict[str, Any]) -> str:
    """The same verdict as the CLI summary and the dashboard (release/verdict.py)."""
    decided = verdict(report)
    level = {"stop": "bad", "review": "warn", "good": "ok"}[decided.level]
    findings = "".join(f"<li><b>{escape(f.page)}</b> ({_word(f.level)}): {escape(f.text)}</li>"
                       for f in decided.findings)
    rows = [{"figure": f.name, "value": f.value, "compared with": f.reference, "verdict": _word(f.word),
             "rule": f.rule} for f in decided.figures]
    return (f'<h2>Verdict</h2><p class="{level}">{escape(decided.headline)}</p>'
            + (f"<ol>{findings}</ol>" if findings else "")
            + _table(rows, ["figure", "value", "compared with", "verdict", "rule"], "no figure was measured")
            + "<p class=note>The thresholds are rules of thumb for a first look, not guarantees.</p>")


def _expectations(report: dict[str, Any]) -> str:
    e = report["expectations"]
    rows = []
    for suite in e.get("suites", []):
        for r in suite.get("results", []):
            ref = r.get("reference")
            rows.append({**r, "suite": suite["name"],
                         "result": _verdict(r["success"], r.get("severity") == "warning"),
                         "on real data": "n/a" if not ref else ("passed" if ref["success"] else
                                                                f"failed ({ref['unexpected_percent'] or 0:.2f}% unexpected)")})
    rows.sort(key=lambda r: r.get("severity") != "blocking")
    columns = ["result", "severity", "suite", "expectation", "column", "example", "observed", "on real data"]
    reference = e.get("reference") or {}
    # The schema suite is built from the released domain: under DP it drops rare categories and
    # rounds ranges to a public grid, so real rows may fail it while synthetic ones pass.
    schema_on_real = sum(1 for suite in e.get("suites", []) if suite.get("name") == "schema"
                         for r in suite.get("results", []) if (r.get("reference") or {}).get("success") is False)
    dp_note = (f"<p class=note>{schema_on_real} schema expectation(s) fail on the real rows: the schema suite is "
               "built from the released domain (under DP, the categories and ranges that survived the noise), "
               "not from the real data, so real rows with a category too rare to release fail it. That is the "
               "privacy protection at work, not an error in the real data.</p>") if schema_on_real else ""
    return (f"<h2>Expectations</h2><p>{e.get('passed')} of {e.get('evaluated')} passed; "
            f"{e.get('blocking_failed')} blocking and {e.get('warnings_failed')} warning failures "
            f"(failures first). A blocking failure makes <code>synthrecords validate</code> exit 1. "
            f"Examples are synthetic values; any equal to a real identifier is withheld. "
            f"The real-data column runs the same suites on {reference.get('rows', 'no')} real rows.</p>"
            + dp_note
            + _table([r for r in rows if not r["success"]], columns, "no expectation failed")
            + f"<details><summary>{e.get('passed')} passed expectations</summary>"
            + _table([r for r in rows if r["success"]], columns, "no expectation passed") + "</details>")


def _fidelity(report: dict[str, Any]) -> str:
    fid = report["fidelity"]
    det = fid.get("detection") or {}
    parts = ["<h2>Fidelity</h2>"]
    if fid.get("quality_score") is None:
        parts.append("<p>No shared columns or rows: fidelity not measured.</p>")
    else:
        parts.append(f"<p>SDMetrics quality score {_pct(fid['quality_score'])} (column shapes "
                     f"{_pct(fid['column_shapes'])}, column pair trends {_pct(fid['column_pair_trends'])}; "
                     f"rows compared: {escape(_rows(fid.get('rows_used')))}).</p>")
        coarse = fid.get("at_released_granularity")
        if coarse and coarse.get("quality_score") is not None:
            parts.append(f"<p>Against the real rows generalised as the release generalised "
                         f"{escape(', '.join(coarse['columns']))}: {_pct(coarse['quality_score'])} (what the "
                         "release kept at the granularity it chose; the figure above includes what generalising "
                         "cost).</p>")
    if det.get("auc") is not None:
        parts.append(f"<p>Detection: a classifier tells real from synthetic rows with ROC AUC "
                     f"<b>{det['auc']:.3f}</b> (0.5 = indistinguishable, 1 = every row gives itself away; "
                     f"{escape(det.get('model', ''))}; rows: {escape(_rows(det.get('rows_used')))}).</p>")
    elif det.get("skipped"):
        parts.append(f"<p>Detection skipped: {escape(det['skipped'])}.</p>")
    charts = [grouped_bars(d["column"], d["labels"], [("real", REAL, d["real"]), ("synthetic", SYNTH, d["synthetic"])])
              for d in fid.get("distributions") or []]
    if charts:
        parts.append("<h3>Per-column distributions (share of rows)</h3><div class=charts>" + "".join(charts) + "</div>")
    assoc = fid.get("associations")
    if assoc:
        names = assoc["columns"]
        parts.append(f"<h3>Column associations</h3><p class=note>{escape(assoc['measure'])}; hover a cell for its "
                     f"value.</p><div class=charts>"
                     + heatmap("real", names, assoc["real"]) + heatmap("synthetic", names, assoc["synthetic"])
                     + heatmap("|real - synthetic|", names, assoc["difference"], red=True) + "</div>")
    parts.append("<details><summary>Per-column scores</summary>"
                 + _table(fid.get("per_column") or [], ["column", "metric", "score"]) + "</details>")
    return "".join(parts)


def _utility(report: dict[str, Any]) -> str:
    u = report.get("utility") or {}
    if u.get("status") != "measured":
        return f"<h2>Utility</h2><p>Skipped: {escape(str(u.get('reason') or 'not measured'))}.</p>"
    rows = []
    for m in u["metrics"]:
        word, rule = utility_judgement(m, u.get("too_small"))
        value, reference = utility_value(m)
        rows.append({"metric": m["metric"], "synthetic-trained (TSTR)": value, "compared with": reference,
                     "TSTR / TRTR": _pct(m.get("ratio")), "verdict": _word(word), "rule": rule})
    small = (f"<p class=warn>Too small to judge: {escape(u['too_small'])}.</p>" if u.get("too_small") else "")
    return (f"<h2>Utility</h2><p>Target <code>{escape(u['target'])}</code> ({escape(u['task'])}): "
            f"{escape(u.get('model') or 'a classifier')} trained on synthetic rows (TSTR) and on real training rows (TRTR), both "
            f"tested on the real holdout (rows: {escape(_rows(u.get('rows_used')))}). Chance is what a model "
            f"that learned nothing scores; intervals: {escape(u.get('interval') or 'not computed (a report from before intervals)')}.</p>"
            + small + _table(rows, ["metric", "synthetic-trained (TSTR)", "compared with", "TSTR / TRTR", "verdict",
                                    "rule"]))


def _privacy(report: dict[str, Any]) -> str:
    p = report["privacy"]
    entries = "" if p.get("guarantee") == "unknown" else _table(
        p.get("entries") or [], ["fit", "stage", "mechanism", "noise_multiplier", "sample_rate", "steps",
                                 "epsilon_alone", "detail"])
    parts = [f"<h2>Privacy</h2><h3>Budget</h3><p>{escape(guarantee_text(p))}. {escape(p.get('note') or '')}</p>",
             entries,
             "".join(f'<p class="note">{escape(line)}</p>' for line in _lines(p.get("scope")))]
    dcr, nndr = p.get("dcr") or {}, p.get("nndr") or {}
    mia = p.get("membership_inference") or {}
    rows = [("median distance synthetic → closest training row (DCR)", _num(dcr.get("median"))),
            ("median distance holdout → closest training row (reference)", _num(dcr.get("holdout_to_train_median"))),
            ("DCR ratio synthetic / holdout (≥ 1: no closer than unseen real rows)", _num(dcr.get("ratio"))),
            ("share of synthetic rows closer to training than to holdout (0.5 ideal)",
             _pct(dcr.get("share_closer_to_train_than_holdout"))),
            ("exact copies of training rows", (f"{p.get('exact_matches')} ({_pct(p.get('exact_match_share'))}); "
                                              f"holdout rows equal to a training row: "
                                              f"{_pct(p.get('holdout_exact_match_share'))}")),
            ("nearest-neighbour distance ratio, median (holdout reference)",
             f"{_num(nndr.get('median'))} ({_num(nndr.get('holdout_median'))})"),
            ("membership-inference attack AUC (0.5 = no signal)",
             mia.get("skipped") or f"{_num(mia.get('auc'))}, 95% CI {_fmt(mia.get('ci95'))}")]
    parts.append("<h3>Distance and membership</h3>" + _table([{"measure": a, "value": b} for a, b in rows],
                                                               ["measure", "value"]))
    parts.append(f"<p class=note>{escape(dcr.get('metric') or '')}; rows used: {escape(_rows(p.get('rows_used')))}</p>")
    hist = dcr.get("histogram")
    if hist:
        series = [("synthetic→train", SYNTH, hist["synthetic"])]
        if hist.get("holdout"):
            series.append(("holdout→train", HOLDOUT, hist["holdout"]))
        parts.append(histogram("Distance to closest training row", hist["edges"], series))
    parts.append(_attacks(p.get("attacks") or {}))
    leak = p.get("leakage") or {}
    parts.append(f"<h3>PII leakage</h3><p>No value of a real direct identifier appears in the output: "
                 f"{_verdict(bool(leak.get('passed')))} ({leak.get('total', 0)} findings; checked "
                 f"{escape(', '.join(leak.get('checked_columns') or []) or 'no columns')}).</p>")
    return "".join(parts)


def _attacks(a: dict[str, Any]) -> str:
    if a.get("skipped"):
        return f"<h3>Singling out, linkability, inference</h3><p>Skipped: {escape(a['skipped'])}.</p>"
    if not a:
        return ""
    rows = []
    for name, r in (("singling out", a.get("singling_out")), ("linkability", a.get("linkability"))):
        if r:
            rows.append({"attack": name, **r})
    worst = next((r for r in a.get("inference") or [] if r["column"] == a.get("inference_worst_column")), None)
    if worst:
        rows.append({"attack": f"inference (worst column: {worst['column']})", **worst})
    columns = ["attack", "risk", "ci95", "attack_rate", "control_rate", "baseline_rate", "attacks", "note"]
    return ("<h3>Singling out, linkability, inference</h3>"
            f"<p class=note>{escape(a.get('method', ''))}. Risk 0 = the output helps an attacker no more against "
            f"training rows than against unseen ones. Rows: {escape(_rows(a.get('rows_used')))}; linkability "
            f"columns split {escape(' | '.join(', '.join(g) for g in a.get('linkability_columns') or []) or 'n/a')}."
            "</p>" + _table(rows, columns, "no attack was run")
            + "<details><summary>Inference risk per column</summary>"
            + _table(a.get("inference") or [], ["column"] + columns[1:]) + "</details>")


def _pii(report: dict[str, Any]) -> str:
    return ("<h2>Personal data found and what was done</h2>"
            + _table([{**c, "category": "not personal" if c.get("category") == "none" else c.get("category")}
                      for c in report["pii"].get("columns") or []],
                     ["column", "category", "entities", "confidence", "action", "evidence"], "no column was scanned"))


def _sampling(report: dict[str, Any]) -> str:
    sampling = report.get("sampling")
    if not sampling:
        return ""
    mix = [{"column": column, "value": value, "requested": _pct(share),
            "achieved": _pct(((sampling.get("achieved") or {}).get(column) or {}).get(value))}
           for column, shares in (sampling.get("requested") or {}).items() for value, share in shares.items()]
    cells = [{"rows of": ", ".join(f"{k} = {v}" for k, v in (c.get("condition") or {}).items()) or "the rest",
              "rows": c.get("rows"), "generated": c.get("generated"), "kept": c.get("kept"),
              "acceptance": _pct(c.get("acceptance_rate")), "filled without the condition": c.get("filled_without_condition")}
             for c in sampling.get("cells") or []]
    flt = sampling.get("filter") or {}
    fixed = ", ".join(f"{k} = {v}" for k, v in (sampling.get("conditions") or {}).items())
    lines = [f"{sampling.get('rows'):,} rows sampled" if isinstance(sampling.get("rows"), int) else "",
             f"fixed in every row: {fixed}" if fixed else "",
             f"overall acceptance {_pct(sampling.get('acceptance_rate'))}" if sampling.get("acceptance_rate") is not None else "",
             (f"filter: {flt.get('rejected')} of {flt.get('checked')} rows broke a row-level expectation and were "
              f"replaced ({_pct(flt.get('rejection_rate'))})") if flt.get("rejection_rate") is not None else ""]
    fidelity = [{"class": f"{c['column']} = {c['value']}", "real rows": c.get("real_rows"),
                 "synthetic rows": c.get("synthetic_rows"), "fidelity within the class": _pct(c.get("score"))}
                for c in sampling.get("class_fidelity") or []]
    return ("<h2>Sampling</h2><p>" + escape("; ".join(x for x in lines if x)) + ".</p>"
            + (_table(mix, ["column", "value", "requested", "achieved"]) if mix else "")
            + (_table(cells, list(cells[0])) if cells else "")
            + (_table(fidelity, list(fidelity[0])) if fidelity else ""))


def _run_details(report: dict[str, Any]) -> str:
    run = report["run"]
    timings = [{"part": k, "seconds": v} for k, v in (run.get("timings_s") or {}).items()]
    sizes = [{"measurement": k, "rows": v} for k, v in (run.get("sample_sizes") or {}).items()]
    return ("<h2>How this was measured</h2><details><summary>Timings and sample sizes</summary>"
            + _table(timings, ["part", "seconds"]) + _table(sizes, ["measurement", "rows"]) + "</details>")
