"""Plots as self-contained ``data:image/png;base64`` URIs (matplotlib's Agg canvas, no pyplot state)."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

ACCENT, MUTED, BAD = "#2563eb", "#94a3b8", "#dc2626"
X_KEYS = ("epoch", "epochs", "step", "steps", "iteration", "iterations")
MAX_SERIES = 8  # curves drawn per plot (a stored curve is data a student's run produced: bound it)
MAX_POINTS = 2000  # points per curve; longer histories are thinned evenly
MAX_WORDS = 80  # characters of a string quoted in a caption


DRAWABLE = 1e12  # |values| beyond this are gaps: an axis from -1e308 to 1e308 has no ticks matplotlib can place


def number(value: object, limit: float = math.inf) -> float | None:
    """A stored number as a finite float, else None: NaN, ±inf, bools, 2**2000 and strings are no number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) and abs(value) <= limit else None


def _thin(values: list) -> list:
    step = -(-len(values) // MAX_POINTS)
    return values[::step] if step > 1 else values


def data_uri(figure: Figure) -> str:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height))
    figure.set_layout_engine("constrained")
    return figure


def score_histogram(scores: Sequence[float], max_score: float) -> str:
    """How the class scored (final scores, after late penalties)."""
    figure = _figure(6.5, 3.2)
    axes = figure.add_subplot()
    top = max(max_score, max(scores, default=0.0), 1.0)
    bins = min(20, max(5, int(math.ceil(top))))
    axes.hist(scores, bins=bins, range=(0, top), color=ACCENT, edgecolor="white")
    axes.set_xlabel(f"final score (out of {max_score:g})")
    axes.set_ylabel("students")
    axes.set_title("Score distribution")
    axes.yaxis.get_major_locator().set_params(integer=True)
    return data_uri(figure)


def pass_rate_chart(rates: Sequence[tuple[str, float]]) -> str:
    """Per-test pass rate, lowest first, so the exercise the class failed most stands out."""
    rows = sorted(rates, key=lambda r: r[1])
    figure = _figure(7.5, max(2.0, 0.36 * len(rows) + 1.0))
    axes = figure.add_subplot()
    names = [name if len(name) <= 60 else name[:57] + "…" for name, _ in rows]
    values = [100 * rate for _, rate in rows]
    colors = [BAD if v < 50 else ACCENT for v in values]
    axes.barh(range(len(rows)), values, color=colors)
    axes.set_yticks(range(len(rows)), names, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("students passing (%)")
    axes.set_title("Pass rate per test")
    return data_uri(figure)


def late_chart(days_late: Sequence[int]) -> str:
    """How many submissions were on time, one day late, two days late, …"""
    counts: dict[int, int] = {}
    for days in days_late:
        counts[days] = counts.get(days, 0) + 1
    keys = sorted(counts)
    figure = _figure(5.0, 2.6)
    axes = figure.add_subplot()
    labels = ["on time" if d == 0 else f"{d} d late" for d in keys]
    axes.bar(labels, [counts[d] for d in keys], color=[MUTED if d == 0 else BAD for d in keys])
    axes.set_ylabel("submissions")
    axes.set_title("Lateness")
    axes.yaxis.get_major_locator().set_params(integer=True)
    return data_uri(figure)


def curve_series(curve: object) -> tuple[list[float], dict[str, list[float]]] | None:
    """(x, {metric: values}) from ``{"epoch": [...], "loss": [...], ...}`` or a list of per-epoch dicts."""
    if isinstance(curve, list) and curve and all(isinstance(r, dict) for r in curve[:MAX_POINTS * 10]):
        curve = _thin(curve[:MAX_POINTS * 10])
        keys = sorted({str(k) for r in curve for k in list(r)[:MAX_SERIES * 4]})[:MAX_SERIES * 4]
        curve = {k: [r.get(k) for r in curve] for k in keys}
    if not isinstance(curve, dict):
        return None
    series = {str(k)[:MAX_WORDS]: _thin(v) for k, v in list(curve.items())[:MAX_SERIES * 4]
              if isinstance(v, list) and v and all(isinstance(x, int | float) and not isinstance(x, bool)
                                                   for x in v if x is not None)}
    x_key = next((k for k in X_KEYS if k in series), None)
    x = ([float(i + 1) if number(v, DRAWABLE) is None else number(v, DRAWABLE) for i, v in
          enumerate(series.pop(x_key))] if x_key else None)
    # NaN, ±inf and numbers too big to draw are gaps in the line, not errors
    series = {k: [math.nan if number(v, DRAWABLE) is None else number(v, DRAWABLE) for v in values]
              for k, values in list(series.items())[:MAX_SERIES]}
    series = {k: v for k, v in series.items() if any(not math.isnan(y) for y in v)}
    if not series:
        return None
    length = max(len(v) for v in series.values())
    x = x or [float(i + 1) for i in range(length)]
    series = {k: v for k, v in series.items() if len(v) == len(x)}
    return (x, series) if series else None


def training_curve(curve: object) -> str | None:
    """Loss on the left, every other metric (accuracies) on the right; None when the data is not a curve.

    hw5 records ``{"train_loss": [...], "val_accuracy": [...], "threshold": 0.95, ...}``: a numeric
    ``threshold`` is drawn as the required accuracy.
    """
    parsed = curve_series(curve)
    if parsed is None:
        return None
    x, series = parsed
    threshold = number(curve.get("threshold"), DRAWABLE) if isinstance(curve, dict) else None
    losses = {k: v for k, v in series.items() if "loss" in k.lower()}
    others = {k: v for k, v in series.items() if k not in losses}
    panels = [(title, group) for title, group in (("loss", losses), ("metrics", others)) if group]
    figure = _figure(4.2 * len(panels), 3.0)
    for index, (title, group) in enumerate(panels, start=1):
        axes = figure.add_subplot(1, len(panels), index)
        for name, values in sorted(group.items()):
            axes.plot(x, values, marker="o", markersize=3, label=name)
        if title == "metrics" and threshold is not None:
            axes.axhline(threshold, color=BAD, linestyle="--", linewidth=1, label=f"required ({threshold:g})")
        axes.set_xlabel("epoch")
        axes.set_title(title)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    return data_uri(figure)


def curve_caption(curve: object) -> str:
    """hw5's facts about a run, in words (empty for a bare curve)."""
    if not isinstance(curve, dict):
        return ""
    parts = []
    accuracy, required, seconds = (number(curve.get(k)) for k in ("test_accuracy", "threshold", "fit_seconds"))
    if accuracy is not None:
        parts.append(f"test accuracy {accuracy:.3f}" + (f" (required {required:g})" if required is not None else ""))
    elif curve.get("test_accuracy") is not None:
        parts.append("test accuracy not a finite number")
    for key, words in (("dataset", "on"), ("fit_seconds", "fit took"), ("device", "device")):
        if key == "fit_seconds":
            if seconds is not None:
                parts.append(f"fit took {seconds:g} s")
        elif curve.get(key):
            text = str(curve[key]) if isinstance(curve[key], str | int | float) else "?"
            parts.append(f"{words} {text if len(text) <= MAX_WORDS else text[:MAX_WORDS - 1] + '…'}")
    return ", ".join(parts)
