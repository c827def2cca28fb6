"""report.html: the run's evidence on one self-contained page (no scripts, no network)."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f3f3f3}.ok{color:#17692f;font-weight:600}.bad{color:#b00020;font-weight:600}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem}
.card b{display:block;font-size:1.4rem}"""


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "<p><i>none</i></p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(_fmt(r.get(c)))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def _verdict(ok: bool) -> str:
    return '<span class="ok">passed</span>' if ok else '<span class="bad">FAILED</span>'


def render_report(report: dict[str, Any]) -> str:
    s, run, privacy = report["summary"], report["run"], report["privacy"]
    if s["epsilon_target"] is None:
        guarantee = "no formal privacy guarantee (no epsilon set)"
    else:
        guarantee = f"(ε={s['epsilon_spent']:.4g} of {s['epsilon_target']:g}, δ={s['delta']:.3g})-differential privacy"
    cards = [("rows", s["rows"]), ("model", s["model"]), ("privacy", guarantee),
             ("fidelity", f"{s['fidelity_score']:.1%}"),
             ("expectations", f"{s['expectations_passed']} passed, {s['expectations_failed']} failed"),
             ("leakage check", "passed" if s["leakage_passed"] else "FAILED")]
    card_html = "".join(f'<div class="card">{escape(k)}<b>{escape(str(v))}</b></div>' for k, v in cards)
    suites = report["validation"]["expectations"]["suites"]
    results = sorted((dict(r, suite=su["name"]) for su in suites for r in su["results"]), key=lambda r: r["success"])
    fid = report["validation"]["fidelity"]
    priv = report["validation"]["privacy"]
    leakage = report["leakage"]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>synthrecords run {escape(str(run['id']))}</title><style>{STYLE}</style></head><body>
<h1>Synthetic data release: {escape(str(run['id']))}</h1>
<p>Created {escape(run['created'])} from <code>{escape(str(run['input']['path']))}</code>
({run['input']['rows']} rows, sha256 <code>{escape(run['input']['sha256'][:16])}…</code>).</p>
<div class="cards">{card_html}</div>
<h2>Personal data found and what was done</h2>
{_table(report['pii']['columns'], ['column', 'category', 'entities', 'confidence', 'action', 'evidence'])}
<p>Leakage check (no value of a direct identifier of the input appears in the output): {_verdict(leakage['passed'])}</p>
<h2>Privacy budget</h2>
<p>{escape(guarantee)}. {escape(privacy.get('note') or '')}</p>
{_table(privacy['entries'], ['fit', 'stage', 'mechanism', 'noise_multiplier', 'sample_rate', 'steps', 'epsilon_alone', 'detail'])}
{''.join(f'<p class="scope">{escape(line)}</p>' for line in _lines(privacy.get('scope')))}
<h2>Fidelity</h2>
<p>SDMetrics quality score {fid['quality_score']:.1%} (column shapes {fid['column_shapes']:.1%}, column pair trends {fid['column_pair_trends']:.1%}).</p>
{_table(fid.get('per_column', []), ['column', 'metric', 'score'])}
<h2>Privacy metrics</h2>
{_table([{'metric': k, 'value': v} for k, v in _flat(priv).items()], ['metric', 'value'])}
<h2>Expectations</h2>
<p>{s['expectations_passed']} passed, {s['expectations_failed']} failed (failures first).</p>
{_table(results, ['suite', 'expectation', 'column', 'success', 'observed'])}
</body></html>
"""


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _lines(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])
