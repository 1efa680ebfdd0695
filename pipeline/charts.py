"""Charts for the report as SVG strings (no plotting library): vector graphics in the PDF, legible in black
and white (hatch patterns and marks, no colour), labelled in Vietnamese with Vietnamese number format.

- `progress_chart`: a horizontal bar per indicator, its cumulative share of the 5-year target, with a mark
  at the share expected by the end of the period; bars behind pace are hatched and flagged.
- `funding_chart`: spending per year, stacked by source (one hatch pattern per source), with the programme's
  yearly average as a dashed line.

Both return a complete ``<svg>`` element to inline in the HTML. Every piece of text is XML-escaped. Sizes
are in points (1/72 inch) in the viewBox; the element is sized in millimetres to fit the text block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from pipeline.formatting import number, percent

FONT = "'Times New Roman', 'Liberation Serif', serif"
PT_PER_MM = 72 / 25.4
WIDTH_MM = 165.0  # A4 portrait text block (210 - 30 - 15 mm)
FLAG = "\u25bc"
# One pattern per source, in order, distinguishable on a black-and-white print.
PATTERNS = ("diagonal", "solid", "grid", "dots", "vertical", "blank")


@dataclass(frozen=True)
class ProgressBar:
    """One indicator's line of the progress chart."""

    code: str
    name: str
    share: Decimal | None  # cumulative achievement / 5-year target (None: no target)
    expected: Decimal | None  # share expected by the end of the period
    behind: bool = False
    group: str = ""  # the sub-programme heading the bar sits under ("P1 Đào tạo nghề …")


@dataclass(frozen=True)
class FundingBar:
    """One year's spending, by source."""

    label: str  # "2011", "2012 (đến tháng 9)"
    by_source: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.by_source.values(), Decimal(0))


def _t(text: str) -> str:
    return escape(text)


def _a(value: object) -> str:
    return quoteattr(str(value))


def _f(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    """The <svg> element, sized in mm, `width` x `height` points of drawing."""
    w_mm, h_mm = width / PT_PER_MM, height / PT_PER_MM
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label={_a(label)} '
        f'width="{_f(w_mm)}mm" height="{_f(h_mm)}mm" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'font-family={_a(FONT)} font-size="8">' + "".join(body) + "</svg>"
    )


def _text(
    x: float, y: float, text: str, *, size: float = 8, anchor: str = "start", bold: bool = False, italic: bool = False
) -> str:
    style = (' font-weight="bold"' if bold else "") + (' font-style="italic"' if italic else "")
    return f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_f(size)}" text-anchor="{anchor}"{style}>{_t(text)}</text>'


def _pattern(pid: str, kind: str) -> str:
    """A hatch pattern `kind` with id `pid` (black on white)."""
    head = f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="5" height="5">'
    back = '<rect width="5" height="5" fill="#fff"/>'
    match kind:
        case "diagonal":
            marks = '<path d="M-1,1 L1,-1 M0,5 L5,0 M4,6 L6,4" stroke="#000" stroke-width="0.7"/>'
        case "solid":
            back, marks = '<rect width="5" height="5" fill="#8c8c8c"/>', ""
        case "grid":
            marks = '<path d="M0,2.5 H5 M2.5,0 V5" stroke="#000" stroke-width="0.5"/>'
        case "dots":
            marks = '<circle cx="2.5" cy="2.5" r="0.9" fill="#000"/>'
        case "vertical":
            marks = '<path d="M2.5,0 V5" stroke="#000" stroke-width="0.7"/>'
        case _:
            marks = ""
    return head + back + marks + "</pattern>"


def wrap(text: str, width: int) -> list[str]:
    """Split `text` into lines of at most `width` characters at spaces (a longer word stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def nice_step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` intervals up to `top`."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


# --- progress toward each target ------------------------------------------------------------------------

MAX_GRID_STEPS = 8  # grid intervals on the share axis, whatever the shares (a tick every 50 % up to 400 %)


def progress_scale(peak: float) -> tuple[float, float]:
    """(end of the share axis, step between its grid lines) for the largest share `peak` (1.0 = 100 %).

    Up to 150 % a line every 25 %, then every 50 %; where that would need more than MAX_GRID_STEPS lines
    (shares far above their targets), a round step (nice_step) and the axis ending on a multiple of it,
    so the chart's size never depends on how far a target was exceeded."""
    top = max(1.0, math.ceil(peak * 4) / 4)
    step = 0.25 if top <= 1.5 else 0.5
    if top / step > MAX_GRID_STEPS:
        step = nice_step(peak)
        top = step * math.ceil(round(peak / step, 9))
    return top, step


def progress_chart(
    bars: Sequence[ProgressBar],
    *,
    chart_id: str = "tien-do",
    width_mm: float = WIDTH_MM,
    label: str = "Tỷ lệ thực hiện lũy kế so với mục tiêu giai đoạn",
) -> str:
    """Horizontal bars: each indicator's cumulative share of its 5-year target, the expected share marked."""
    width = width_mm * PT_PER_MM
    label_w, value_w = width * 0.46, 62.0
    x0 = label_w + 6
    bar_w = width - x0 - value_w
    peak = max((float(b.share) for b in bars if b.share is not None), default=0.0)
    top, step = progress_scale(peak)
    scale = bar_w / top
    chars = int(label_w / 3.7)  # 8 pt Times: about 3,7 pt a character
    hatch = f"{chart_id}-cham"
    body = [f"<defs>{_pattern(hatch, 'diagonal')}</defs>"]
    y = 4.0
    group = None
    rows: list[str] = []
    for b in bars:
        if b.group and b.group != group:
            group = b.group
            y += 3
            for line in wrap(group, int(chars * 0.92))[:2]:
                y += 9.5
                rows.append(_text(0, y, line, size=8, bold=True))
            y += 2
        lines = wrap(f"{b.code} {b.name}", chars)
        if len(lines) > 2:
            lines = [lines[0], " ".join(lines[1:])]
            lines[1] = lines[1][: chars - 1].rstrip() + "…" if len(lines[1]) > chars else lines[1]
        height = 8.5 * len(lines) + 3
        mid = y + height / 2
        for i, line in enumerate(lines):
            rows.append(_text(0, mid - 4.25 * (len(lines) - 1) + 8.5 * i + 2.8, line))
        if b.share is not None:
            w = max(0.0, min(float(b.share), top)) * scale
            fill = f"url(#{hatch})" if b.behind else "#8c8c8c"
            rows.append(
                f'<rect x="{_f(x0)}" y="{_f(mid - 3.5)}" width="{_f(w)}" height="7" fill="{fill}" '
                'stroke="#000" stroke-width="0.5"/>'
            )
            text = (f"{FLAG} " if b.behind else "") + percent(b.share)
            rows.append(_text(x0 + w + 3, mid + 2.8, text, bold=b.behind))
        else:
            rows.append(_text(x0 + 3, mid + 2.8, "không có mục tiêu", italic=True))
        if b.expected is not None:
            ex = x0 + min(float(b.expected), top) * scale
            rows.append(f'<path d="M{_f(ex)},{_f(mid - 5.5)} V{_f(mid + 5.5)}" stroke="#000" stroke-width="1.6"/>')
        y += height
    plot_top, plot_bottom = 4.0, y + 2
    grid = []
    for i in range(int(top / step + 1e-9) + 1):
        tick = i * step
        x = x0 + tick * scale
        grid.append(
            f'<path d="M{_f(x)},{_f(plot_top)} V{_f(plot_bottom)}" stroke="#000" stroke-width="0.3" '
            'stroke-dasharray="1.5,2"/>'
        )
        grid.append(_text(x, plot_bottom + 10, percent(Decimal(str(round(tick, 6))), 0), anchor="middle"))
    grid.append(f'<path d="M{_f(x0)},{_f(plot_top)} V{_f(plot_bottom)}" stroke="#000" stroke-width="0.8"/>')
    y = plot_bottom + 24
    legend = [
        f'<rect x="{_f(x0)}" y="{_f(y - 7)}" width="14" height="8" fill="#8c8c8c" stroke="#000" stroke-width="0.5"/>',
        _text(x0 + 18, y, "Lũy kế thực hiện so với mục tiêu giai đoạn"),
    ]
    if any(b.behind for b in bars):
        y += 12
        legend += [
            f'<rect x="{_f(x0)}" y="{_f(y - 7)}" width="14" height="8" fill="url(#{hatch})" stroke="#000" '
            'stroke-width="0.5"/>',
            _text(x0 + 18, y, f"{FLAG} Chậm tiến độ"),
        ]
    if any(b.expected is not None for b in bars):
        y += 12
        legend += [
            f'<path d="M{_f(x0 + 7)},{_f(y - 8)} V{_f(y + 2)}" stroke="#000" stroke-width="1.6"/>',
            _text(x0 + 18, y, "Tiến độ yêu cầu đến hết kỳ báo cáo"),
        ]
    return _svg(width, y + 8, body + grid + rows + legend, label)


# --- spending by source per year ------------------------------------------------------------------------


def funding_chart(
    years: Sequence[FundingBar],
    sources: Sequence[tuple[str, str]],
    *,
    unit: str,
    average: Decimal | None = None,
    chart_id: str = "kinh-phi",
    width_mm: float = WIDTH_MM,
    label: str = "Kinh phí thực hiện theo năm và nguồn vốn",
) -> str:
    """Stacked vertical bars: each year's spending by source (`sources`: (code, name) in order)."""
    width = width_mm * PT_PER_MM
    left, right, top_pad, plot_h = 52.0, 10.0, 22.0, 150.0
    plot_w = width - left - right
    highest = max([float(y.total) for y in years] + [float(average or 0)] + [0.0])
    step = nice_step(highest * 1.08 or 1.0)
    top = step * max(1, math.ceil(highest * 1.08 / step)) if highest else step * 5
    scale = plot_h / top
    base = top_pad + plot_h
    ids = {code: f"{chart_id}-{i}" for i, (code, _) in enumerate(sources)}
    defs = "".join(_pattern(ids[code], PATTERNS[i % len(PATTERNS)]) for i, (code, _) in enumerate(sources))
    body = [f"<defs>{defs}</defs>", _text(0, 9, f"ĐVT: {unit}", italic=True)]
    tick = 0.0
    while tick <= top + 1e-9:
        y = base - tick * scale
        body.append(
            f'<path d="M{_f(left)},{_f(y)} H{_f(left + plot_w)}" stroke="#000" stroke-width="0.3" '
            'stroke-dasharray="1.5,2"/>'
        )
        body.append(_text(left - 4, y + 2.8, number(Decimal(str(round(tick, 6)))), anchor="end"))
        tick += step
    slot = plot_w / max(1, len(years))
    bar_w = min(60.0, slot * 0.5)
    for i, yr in enumerate(years):
        cx = left + slot * (i + 0.5)
        y = base
        for code, _ in sources:
            v = float(yr.by_source.get(code, 0))
            if v <= 0:
                continue
            h = v * scale
            y -= h
            body.append(
                f'<rect x="{_f(cx - bar_w / 2)}" y="{_f(y)}" width="{_f(bar_w)}" height="{_f(h)}" '
                f'fill="url(#{ids[code]})" stroke="#000" stroke-width="0.6"/>'
            )
        body.append(_text(cx, y - 3, number(yr.total), bold=True, anchor="middle"))
        for j, line in enumerate(wrap(yr.label, 12)[:2]):
            body.append(_text(cx, base + 11 + 9 * j, line, anchor="middle"))
    if average:
        ay = base - float(average) * scale
        body.append(
            f'<path d="M{_f(left)},{_f(ay)} H{_f(left + plot_w)}" stroke="#000" stroke-width="1" '
            'stroke-dasharray="6,3"/>'
        )
        body.append(
            _text(left + plot_w, ay - 3, f"Bình quân kế hoạch: {number(average)} {unit}/năm", anchor="end", italic=True)
        )
    body.append(
        f'<path d="M{_f(left)},{_f(top_pad - 4)} V{_f(base)} H{_f(left + plot_w)}" fill="none" '
        'stroke="#000" stroke-width="0.8"/>'
    )
    y = base + 34
    x = left
    for code, name in sources:
        text = f"{code}: {name}"
        needed = 18 + len(text) * 3.7
        if x > left and x + needed > width:
            x, y = left, y + 14
        body.append(
            f'<rect x="{_f(x)}" y="{_f(y - 7)}" width="14" height="9" fill="url(#{ids[code]})" '
            'stroke="#000" stroke-width="0.5"/>'
        )
        body.append(_text(x + 18, y, text))
        x += needed + 14
    return _svg(width, y + 8, body, label)
