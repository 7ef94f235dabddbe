"""Server-rendered SVG charts for the dashboards: no JavaScript, no vendored library, readable without colour.

Two shapes are enough: horizontal bars (a score or a count per unit or field)
and lines over time. Each chart is an <svg role="img"> named by its own
<title> and <desc>, writes every number as text next to its bar or point, and
marks a second state with a pattern and a symbol as well as a colour. The
pages follow each chart with a table of the same numbers.
"""

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colours with at least 3:1 contrast against white (WCAG 1.4.11 for graphics).
COLOURS = {
    "good": "#1e6b34",
    "bad": "#b3261e",
    "neutral": "#0b5cad",
    "second": "#6b3fa0",
}
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no value (drawn as "–", no bar)
    text: str  # the number as people read it, written after the bar
    state: str = "neutral"  # "good" (solid), "bad" (hatched) or "neutral" (solid)
    href: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    values: list  # numbers or None (a gap), one per x label
    texts: list  # each value as people read it
    colour: str = "neutral"
    dashed: bool = False


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" {FONT}>',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _hatch(chart_id: str) -> str:
    """A diagonal hatch: the 'bad' state reads as a pattern, not only as red."""
    colour = COLOURS["bad"]
    return (
        f'<defs><pattern id="{escape(chart_id)}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{colour}" stroke-width="4"/></pattern></defs>'
    )


def _truncate(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    bars: list[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    maximum: float | None = None,
    legend: list[tuple[str, str]] | None = None,
) -> SafeString:
    """Horizontal bars, one per item, each with its label on the left and its number on the right.

    `maximum` fixes the scale (100 for scores and percentages), else the largest value.
    `legend` is [(state, text)] drawn under the bars.
    """
    label_width, bar_width, number_width, row = 230, 330, 220, 22
    width = label_width + bar_width + number_width
    legend = legend or []
    height = 8 + row * max(len(bars), 1) + (24 if legend else 0) + 4
    top = max([maximum or 0] + [bar.value or 0 for bar in bars]) or 1
    parts = _open(chart_id, title, desc, width, height)
    parts.append(_hatch(chart_id))
    fills = {
        "good": COLOURS["good"],
        "bad": f"url(#{escape(chart_id)}-hatch)",
        "neutral": COLOURS["neutral"],
        "second": COLOURS["second"],
    }
    parts.append(f'<line x1="{label_width}" y1="4" x2="{label_width}" y2="{8 + row * len(bars)}" stroke="#555"/>')
    for index, bar in enumerate(bars):
        y = 8 + index * row
        length = 0 if bar.value is None else max(bar.value / top * bar_width, 0)
        label = escape(_truncate(bar.label, 34))
        parts.append(f'<g class="bar-row" data-label="{escape(bar.label)}">')
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end" fill="#1a1a1a">{label}</text>')
        if bar.value is not None:
            stroke = f' stroke="{COLOURS["bad"]}"' if bar.state == "bad" else ""
            parts.append(
                f'<rect class="bar bar-{escape(bar.state)}" x="{label_width}" y="{y + 2}" width="{length:.1f}" '
                f'height="{row - 6}" fill="{fills.get(bar.state, fills["neutral"])}"{stroke} '
                f'data-value="{escape(_num(bar.value))}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
            )
        parts.append(
            f'<text class="bar-value" x="{label_width + length + 6:.1f}" y="{y + 14}" fill="#1a1a1a">'
            f"{escape(bar.text)}</text>"
        )
        parts.append("</g>")
    if legend:
        y = 8 + row * len(bars) + 8
        x = label_width
        for state, text in legend:
            stroke = f' stroke="{COLOURS["bad"]}"' if state == "bad" else ""
            parts.append(f'<rect x="{x}" y="{y}" width="14" height="14" fill="{fills[state]}"{stroke}/>')
            parts.append(f'<text x="{x + 20}" y="{y + 12}" fill="#1a1a1a">{escape(text)}</text>')
            x += 30 + 7 * len(text)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


def line_chart(
    x_labels: list[str],
    series: list[Series],
    *,
    chart_id: str,
    title: str,
    desc: str,
    y_max: float | None = None,
    y_suffix: str = "",
    tick_format=None,
) -> SafeString:
    """Lines over time, one per series, with a marker and (where there is room) the number at each point.

    Series differ by colour, by dash and by marker shape, and a legend names them.
    """
    left, right, top_pad, bottom = 56, 24, 40, 44
    plot_w, plot_h = 640, 200
    width, height = left + plot_w + right, top_pad + plot_h + bottom + 20 * len(series)
    values = [v for s in series for v in s.values if v is not None]
    top = y_max if y_max is not None else 4 * _nice_step(max(values + [0]) / 4)
    tick = tick_format or _num  # the y axis's numbers
    count = len(x_labels)
    step = plot_w / max(count - 1, 1)
    parts = _open(chart_id, title, desc, width, height)

    def x_at(index: int) -> float:
        return left + (index * step if count > 1 else plot_w / 2)

    def y_at(value: float) -> float:
        return top_pad + plot_h - (value / top * plot_h)

    # Grid and y axis: four steps.
    for step_index in range(5):
        value = top * step_index / 4
        y = y_at(value)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#1a1a1a">{escape(tick(value))}{escape(y_suffix)}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}" stroke="#555"/>'
    )
    # X labels: all of them when they fit, else every k-th (the table has them all).
    every = max(1, -(-count // 12))
    for index, label in enumerate(x_labels):
        if index % every == 0 or index == count - 1:
            parts.append(
                f'<text x="{x_at(index):.1f}" y="{top_pad + plot_h + 16}" text-anchor="middle" '
                f'fill="#1a1a1a">{escape(label)}</text>'
            )
    show_numbers = count <= 16
    for number, item in enumerate(series):
        colour = COLOURS.get(item.colour, COLOURS["neutral"])
        dash = ' stroke-dasharray="6 4"' if item.dashed else ""
        parts.append(f'<g class="series" data-series="{escape(item.name)}">')
        # A line through consecutive points; a gap (None) breaks it.
        segment: list[str] = []
        segments = []
        for index, value in enumerate(item.values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x_at(index):.1f},{y_at(value):.1f}")
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{" ".join(points)}"/>'
                )
        for index, value in enumerate(item.values):
            if value is None:
                continue
            x, y = x_at(index), y_at(value)
            tip = f"{x_labels[index]}: {item.texts[index]}"
            if number % 2 == 0:
                tag, shape = "circle", f'cx="{x:.1f}" cy="{y:.1f}" r="4"'
            else:
                tag, shape = "rect", f'x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"'
            parts.append(
                f'<{tag} class="point" {shape} fill="{colour}" data-value="{escape(_num(value))}">'
                f"<title>{escape(tip)}</title></{tag}>"
            )
            if show_numbers:
                # Above the point, one line higher per series: labels of close values stay apart.
                offset = -8 - 13 * number
                parts.append(
                    f'<text class="point-value" x="{x:.1f}" y="{y + offset:.1f}" text-anchor="middle" '
                    f'fill="{colour}">{escape(item.texts[index])}</text>'
                )
        parts.append("</g>")
    # Legend: marker shape + dash + name.
    for number, item in enumerate(series):
        colour = COLOURS.get(item.colour, COLOURS["neutral"])
        y = top_pad + plot_h + 36 + 20 * number
        dash = ' stroke-dasharray="6 4"' if item.dashed else ""
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + 30}" y2="{y}" stroke="{colour}" stroke-width="2"{dash}/>')
        if number % 2 == 0:
            parts.append(f'<circle cx="{left + 15}" cy="{y}" r="4" fill="{colour}"/>')
        else:
            parts.append(f'<rect x="{left + 11}" y="{y - 4}" width="8" height="8" fill="{colour}"/>')
        parts.append(f'<text x="{left + 38}" y="{y + 4}" fill="#1a1a1a">{escape(item.name)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


def _nice_step(value: float) -> float:
    """A round step for the y axis at or above `value`: a whole number up to 10, then 1, 2, 2.5 or 5 × 10^k."""
    if value <= 1:
        return 1
    if value <= 10:
        return float(math.ceil(value))
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * power:
            return factor * power
    return 10 * power
