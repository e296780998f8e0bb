"""Small server-side SVG charts; each page shows the same figures in a table beside them."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR = 24
GAP = 10
LABEL_WIDTH = 300
CHART_WIDTH = 320


def bar_chart(title: str, bars: list[tuple[str, int, int]]) -> Markup:
    """A horizontal bar chart of `value` out of `total` for each label, as inline SVG."""
    height = len(bars) * (BAR + GAP) + GAP
    width = LABEL_WIDTH + CHART_WIDTH + 60
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value, total) in enumerate(bars):
        y = GAP + index * (BAR + GAP)
        share = value / total if total else 0
        bar = round(CHART_WIDTH * share)
        short = label if len(label) <= 36 else label[:34] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.0f}" text-anchor="end" font-size="13" '
            f'fill="#0b0c0c">{escape(short)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{CHART_WIDTH}" height="{BAR}" fill="#f3f2f1"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar}" height="{BAR}" fill="#00703c"/>'
            f'<text x="{LABEL_WIDTH + CHART_WIDTH + 6}" y="{y + BAR * 0.7:.0f}" font-size="13" '
            f'fill="#0b0c0c">{round(100 * share)}%</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text is escaped above


def column_chart(title: str, columns: list[tuple[str, int]]) -> Markup:
    """A vertical column chart of counts, e.g. completions per month."""
    top = max((v for _, v in columns), default=0) or 1
    width, height, base = max(len(columns), 1) * 48 + 20, 200, 170
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="10" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#505a5f"/>',
    ]
    for index, (label, value) in enumerate(columns):
        x = 14 + index * 48
        bar = round(140 * value / top)
        parts.append(
            f'<rect x="{x}" y="{base - bar}" width="36" height="{bar}" fill="#1d4f91"/>'
            f'<text x="{x + 18}" y="{base - bar - 4}" text-anchor="middle" font-size="12" '
            f'fill="#0b0c0c">{value}</text>'
            f'<text x="{x + 18}" y="{base + 16}" text-anchor="middle" font-size="11" '
            f'fill="#0b0c0c">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text is escaped above
