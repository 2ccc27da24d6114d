"""Charts as inline SVG, drawn with matplotlib's object API (no pyplot, so no
global figure state and no GUI backend).

Text stays text (``svg.fonttype: none``), which keeps the markup small and
readable at any zoom; ids are salted per chart, so several charts inlined in
one page never share an id, and the output is deterministic for a given input.
"""

from __future__ import annotations

import io
import math
import re
from typing import Sequence

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from torchconform.bench.targets import TARGETS

#: One colour per benchmark target, the same on every chart.
TARGET_COLOURS = {name: target.colour for name, target in TARGETS.items() if target.colour}
#: One colour per dtype (the error chart), floats in warm tones, integers in cool ones.
DTYPE_COLOURS = {
    "bool": "#7f7f7f", "uint8": "#9ecae1", "int8": "#6baed6", "int16": "#4292c6", "int32": "#2171b5",
    "int64": "#08519c", "float16": "#fdae6b", "bfloat16": "#e6550d", "float32": "#d62728", "float64": "#7b2d26",
    "complex64": "#9467bd", "complex128": "#54278f", "various": "#2ca02c",
}
_EXTRA_COLOURS = ("#e6550d", "#756bb1", "#d6616b", "#8c6d31", "#17becf", "#bcbd22", "#e377c2", "#2ca02c")
_RC = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}


def colour(name: str, order: Sequence[str] = ()) -> str:
    """The hex colour of a benchmark target or dtype ``name``; other names get
    the spare colours by their position in ``order``, so a chart's legend is stable."""
    if name in TARGET_COLOURS:
        return TARGET_COLOURS[name]
    if name in DTYPE_COLOURS:
        return DTYPE_COLOURS[name]
    others = [n for n in order if n not in TARGET_COLOURS and n not in DTYPE_COLOURS]
    index = others.index(name) if name in others else sum(map(ord, name))
    return _EXTRA_COLOURS[index % len(_EXTRA_COLOURS)]


def to_svg(fig: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element that scales to its container."""
    buf = io.StringIO()
    with matplotlib.rc_context({**_RC, "svg.hashsalt": f"torchconform-{name}"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    width = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
    # shown 1.3x its natural size: labels stay readable on a wide page
    px = round(float(width.group(1)) * 4 / 3 * 1.3) if width else 800
    svg = re.sub(r'(<svg[^>]*?)\swidth="[^"]*"\sheight="[^"]*"',
                 rf'\1 class="chart" role="img" aria-label="{name}" style="max-width:{px}px"', svg, count=1)
    return svg.strip()


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height))


def _wide_range(values: Sequence[float]) -> bool:
    positive = [v for v in values if v > 0]
    return len(positive) > 1 and max(positive) / min(positive) > 50


def grouped_bars(name: str, title: str, groups: Sequence[str], series: dict[str, Sequence[float | None]],
                 ylabel: str) -> str:
    """Bars per group (e.g. train / infer), one per series (e.g. target);
    a missing value leaves a gap. Log scale when values span > 50x."""
    with matplotlib.rc_context(_RC):
        fig = _figure(max(4.0, 1.4 + 0.55 * len(groups) * max(1, len(series))), 3.0)
        ax = fig.add_subplot()
        width = 0.8 / max(1, len(series))
        values = [v for vs in series.values() for v in vs if v]
        for i, (label, vs) in enumerate(series.items()):
            xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
            heights = [v if v else 0 for v in vs]
            bars = ax.bar(xs, heights, width * 0.92, label=label, color=colour(label, list(series)))
            ax.bar_label(bars, labels=[_short(v) if v else "" for v in vs], fontsize=7, padding=1)
        if _wide_range(values):
            ax.set_yscale("log")
        ax.set_xticks(range(len(groups)), groups)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left")
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.grid(axis="y", alpha=0.3)
        return to_svg(fig, name)


def lines(name: str, title: str, series: dict[str, tuple[Sequence[float], Sequence[float]]], xlabel: str,
          ylabel: str, log_x: bool = False) -> str:
    """One curve per series, points marked (sweeps: batch, width, threads)."""
    with matplotlib.rc_context(_RC):
        fig = _figure(5.6, 3.0)
        ax = fig.add_subplot()
        labels = list(series)
        for label, (xs, ys) in series.items():
            target = label.split(" ")[0]
            ax.plot(xs, ys, marker="o", markersize=3, label=label, color=colour(target, labels),
                    linestyle="--" if "infer" in label else "-")
        xs_all = sorted({x for xs, _ in series.values() for x in xs})
        if log_x and xs_all and min(xs_all) > 0:
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_formatter(ScalarFormatter())
        if len(xs_all) <= 12:
            ax.set_xticks(xs_all, [_short(x) for x in xs_all])
            ax.minorticks_off()
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if _wide_range([y for _, ys in series.values() for y in ys]):
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return to_svg(fig, name)


def bars_against_ceiling(name: str, title: str, labels: Sequence[str], values: Sequence[float],
                         ceiling: float, ceiling_label: str, colours: Sequence[str]) -> str:
    """Horizontal bars of achieved GFLOP/s with the measured peak as a line."""
    with matplotlib.rc_context(_RC):
        fig = _figure(5.6, 0.9 + 0.28 * len(labels))
        ax = fig.add_subplot()
        ys = range(len(labels))
        bars = ax.barh(ys, values, color=colours)
        ax.bar_label(bars, labels=[f"{_short(v)} ({100 * v / ceiling:.1f}%)" for v in values], fontsize=7, padding=2)
        ax.axvline(ceiling, color="#d62728", linestyle="--", linewidth=1, label=ceiling_label)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_yticks(list(ys), labels)
        ax.invert_yaxis()
        ax.set_xlabel("GFLOP/s")
        ax.set_title(title, loc="left")
        ax.set_xlim(0, max([ceiling, *values]) * 1.25)
        ax.grid(axis="x", alpha=0.3)
        return to_svg(fig, name)


#: Beyond this a dot plot's symlog axis overflows; such an error (a max_ulp near
#: float64's largest value) is drawn at the right edge with the infinite ones.
_DOT_SCALE_LIMIT = 1e200


def _on_scale(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and abs(value) < _DOT_SCALE_LIMIT


def dots(name: str, title: str, rows: Sequence[str], series: dict[str, Sequence[float | None]],
         xlabel: str) -> str:
    """A dot plot: one row per label, one dot per series (e.g. dtype), symlog x."""
    with matplotlib.rc_context(_RC):
        fig = _figure(5.6, 0.9 + 0.22 * len(rows))
        ax = fig.add_subplot()
        labels = list(series)
        finite = [v for vs in series.values() for v in vs if _on_scale(v)]
        cap = max([1.0, *finite]) * 4
        for label, vs in series.items():
            finite_points = [(v, i) for i, v in enumerate(vs) if _on_scale(v)]
            infinite_rows = [i for i, v in enumerate(vs) if v is not None and not _on_scale(v)]
            if finite_points:
                ax.scatter([p[0] for p in finite_points], [p[1] for p in finite_points], s=14, label=label,
                           color=colour(label, labels), zorder=3)
            if infinite_rows:  # a NaN/inf mismatch: drawn at the right edge as an arrow
                ax.scatter([cap] * len(infinite_rows), infinite_rows, s=24, marker=">", zorder=3,
                           color=colour(label, labels), label=None if finite_points else label)
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlim(0, cap * 1.5)
        ax.set_yticks(range(len(rows)), rows)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return to_svg(fig, name)


def _short(value: float) -> str:
    """3 significant digits with k/M suffixes: 1234 -> 1.23k."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"
