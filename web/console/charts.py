"""Charts for the console's dashboards, drawn by matplotlib on the server.

A chart is a PNG handed to the page as a ``data:`` address, so it needs no
script and passes the console's content policy (``img-src 'self' data:``).
Every chart comes with a text description for its ``alt`` and the page shows
the same figures as a table beside it: a chart is never the only way to read
them.
"""
from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot  # noqa: E402 - the backend is chosen first
from matplotlib.figure import Figure  # noqa: E402

#: Colours that stay apart for the commonest colour-vision deficiencies (Okabe and Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
WIDTH_INCHES, HEIGHT_INCHES, DPI = 7.5, 3.2, 96

X = str | int | float | date | datetime


@dataclass(frozen=True)
class Chart:
    """A drawn chart: where the image is and what it shows in words."""

    title: str
    src: str
    description: str


def _figure(title: str, ylabel: str) -> tuple[Figure, object]:
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title, loc="left", fontsize=11)
    axes.set_ylabel(ylabel)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _empty(axes) -> None:
    axes.text(0.5, 0.5, "No data yet", ha="center", va="center", transform=axes.transAxes, color="#555555")
    axes.set_xticks([])
    axes.set_yticks([])


def line_chart(title: str, series: Mapping[str, Sequence[tuple[X, float | None]]], *, ylabel: str = "",
               description: str | None = None) -> Chart:
    """One line per named series of ``(x, y)`` points; a ``None`` y leaves a gap."""
    figure, axes = _figure(title, ylabel)
    drawn = False
    for index, (name, points) in enumerate(series.items()):
        if not points:
            continue
        xs = [x for x, _ in points]
        ys = [float("nan") if y is None else y for _, y in points]
        axes.plot(xs, ys, marker="o", markersize=3, linewidth=1.6, label=name,
                  color=PALETTE[index % len(PALETTE)])
        drawn = True
    if drawn:
        if len(series) > 1:
            axes.legend(frameon=False, fontsize=8)
        figure.autofmt_xdate()
    else:
        _empty(axes)
    return Chart(title, _png(figure), description or _describe_series(title, series))


def bar_chart(title: str, categories: Sequence[str], series: Mapping[str, Sequence[float]], *,
              ylabel: str = "", stacked: bool = False, description: str | None = None) -> Chart:
    """Bars per category, one colour per named series, side by side or stacked."""
    figure, axes = _figure(title, ylabel)
    if not categories or not series:
        _empty(axes)
        return Chart(title, _png(figure), description or f"{title}: no data yet.")
    positions = list(range(len(categories)))
    count = len(series)
    width = 0.8 if stacked else 0.8 / count
    bottoms = [0.0] * len(categories)
    for index, (name, values) in enumerate(series.items()):
        values = [float(v or 0) for v in values]
        if stacked:
            axes.bar(positions, values, width, bottom=bottoms, label=name, color=PALETTE[index % len(PALETTE)])
            bottoms = [b + v for b, v in zip(bottoms, values)]
        else:
            offset = (index - (count - 1) / 2) * width
            axes.bar([p + offset for p in positions], values, width, label=name,
                     color=PALETTE[index % len(PALETTE)])
    axes.set_xticks(positions, [str(c) for c in categories], rotation=30 if len(categories) > 6 else 0,
                    ha="right" if len(categories) > 6 else "center", fontsize=8)
    if count > 1:
        axes.legend(frameon=False, fontsize=8)
    return Chart(title, _png(figure), description or _describe_bars(title, categories, series))


def _describe_series(title: str, series: Mapping[str, Sequence[tuple[X, float | None]]]) -> str:
    parts = []
    for name, points in series.items():
        values = [y for _, y in points if y is not None]
        if values:
            parts.append(f"{name}: {len(values)} points from {min(values):g} to {max(values):g}, "
                         f"latest {values[-1]:g}")
    return f"{title}. " + ("; ".join(parts) if parts else "No data yet.") + " The table below has every figure."


def _describe_bars(title: str, categories: Sequence[str], series: Mapping[str, Sequence[float]]) -> str:
    parts = []
    for name, values in series.items():
        pairs = ", ".join(f"{c} {float(v or 0):g}" for c, v in zip(categories, values))
        parts.append(f"{name}: {pairs}" if len(series) > 1 else pairs)
    return f"{title}. " + "; ".join(parts) + "."
