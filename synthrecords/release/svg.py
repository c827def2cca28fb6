"""Inline SVG charts for report.html: no scripts, no fonts, no network; readable offline.

Each function takes the aggregates stored in report.json and returns one <svg> element.
Hovering a bar or a cell shows its exact value (an SVG <title>).
"""

from __future__ import annotations

from html import escape

REAL, SYNTH, HOLDOUT = "#4c72b0", "#dd8452", "#55a868"
FONT = 'font-family="system-ui,sans-serif"'


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" {FONT} '
            f'font-size="10">' + "".join(body) + "</svg>")


def _legend(x: int, y: int, items: list[tuple[str, str]]) -> list[str]:
    out = []
    for i, (name, color) in enumerate(items):
        out.append(f'<rect x="{x + i * 90}" y="{y - 8}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + i * 90 + 14}" y="{y + 1}">{escape(name)}</text>')
    return out


def grouped_bars(title: str, labels: list[str], series: list[tuple[str, str, list[float]]],
                 width: int = 420, height: int = 210) -> str:
    """Bars of each series side by side per label (shares, 0-1)."""
    left, right, top, bottom = 36, 8, 28, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max([max(v) for _, _, v in series if v] + [1e-9])
    slot = plot_w / max(len(labels), 1)
    bar = max(slot * 0.8 / len(series), 1.0)
    body = [f'<text x="{left}" y="12" font-size="12" font-weight="600">{escape(title)}</text>',
            *_legend(width - 90 * len(series), 12, [(n, c) for n, c, _ in series]),
            f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
            f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{top_value:.0%}</text>',
            f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>']
    for i, label in enumerate(labels):
        x0 = left + i * slot + slot * 0.1
        for k, (name, color, values) in enumerate(series):
            v = values[i] if i < len(values) else 0.0
            h = plot_h * v / top_value
            body.append(f'<rect x="{x0 + k * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                        f'height="{h:.1f}" fill="{color}"><title>{escape(label)}: {escape(name)} '
                        f'{v:.2%}</title></rect>')
        short = label if len(label) <= 12 else label[:11] + "…"
        cx = left + (i + 0.5) * slot
        body.append(f'<text x="{cx:.1f}" y="{top + plot_h + 8}" text-anchor="end" '
                    f'transform="rotate(-50 {cx:.1f} {top + plot_h + 8})">{escape(short)}</text>')
    return _svg(width, height, body, title)


def heatmap(title: str, columns: list[str], matrix: list[list[float]], size: int = 380,
            red: bool = False) -> str:
    """A square matrix of values in 0-1, white (0) to blue (1), or to red (differences)."""
    n = len(columns)
    margin = 90
    cell = max((size - margin) / max(n, 1), 2.0)
    width = height = int(margin + cell * n + 10)
    body = [f'<text x="4" y="12" font-size="12" font-weight="600">{escape(title)}</text>']
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            v = 0.0 if v is None else min(max(float(v), 0.0), 1.0)
            shade = int(255 - 200 * v)
            fill = f"rgb(255,{shade},{shade})" if red else f"rgb({shade},{shade},255)"
            body.append(f'<rect x="{margin + j * cell:.1f}" y="{margin + i * cell:.1f}" '
                        f'width="{cell:.1f}" height="{cell:.1f}" fill="{fill}">'
                        f'<title>{escape(columns[i])} × {escape(columns[j])}: {v:.3f}</title></rect>')
    font = min(10.0, cell * 0.9)
    for i, name in enumerate(columns):
        short = name if len(name) <= 14 else name[:13] + "…"
        y = margin + (i + 0.5) * cell + font / 3
        x = margin + (i + 0.5) * cell
        body.append(f'<text x="{margin - 3}" y="{y:.1f}" text-anchor="end" font-size="{font:.1f}">'
                    f'{escape(short)}</text>')
        body.append(f'<text x="{x:.1f}" y="{margin - 3}" font-size="{font:.1f}" '
                    f'transform="rotate(-60 {x:.1f} {margin - 3})">{escape(short)}</text>')
    return _svg(width, height, body, title)


def histogram(title: str, edges: list[float], series: list[tuple[str, str, list[float]]],
              width: int = 520, height: int = 220) -> str:
    """Shares per bin as outlined steps, one colour per series; x axis = bin edges."""
    left, right, top, bottom = 40, 10, 28, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max([max(v) for _, _, v in series if v] + [1e-9])
    lo, hi = edges[0], edges[-1]
    span = (hi - lo) or 1.0

    def px(x):
        return left + plot_w * (x - lo) / span

    body = [f'<text x="{left}" y="12" font-size="12" font-weight="600">{escape(title)}</text>',
            *_legend(width - 90 * len(series), 12, [(n, c) for n, c, _ in series]),
            f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
            f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{top_value:.0%}</text>',
            f'<text x="{left}" y="{height - 8}">{lo:.3g}</text>',
            f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end">{hi:.3g}</text>',
            f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">distance</text>']
    for name, color, values in series:
        points = [f"{px(lo):.1f},{top + plot_h}"]
        for i, v in enumerate(values):
            y = top + plot_h - plot_h * v / top_value
            points += [f"{px(edges[i]):.1f},{y:.1f}", f"{px(edges[i + 1]):.1f},{y:.1f}"]
        points.append(f"{px(hi):.1f},{top + plot_h}")
        body.append(f'<polyline points="{" ".join(points)}" fill="{color}" fill-opacity="0.25" '
                    f'stroke="{color}" stroke-width="1.5"><title>{escape(name)}</title></polyline>')
    return _svg(width, height, body, title)
