"""``tandem compare --chart PATH.png``: quality against speed, one labelled point per system.

x: documents per second on a log scale (orders of magnitude apart is the usual case); y: the task's
primary metric. Each point is labelled with the system, its kind, its quality, speed and cost per 1,000
documents, so the picture alone tells the trade-off. matplotlib (Agg backend) is imported only here.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tandem.specialists.comparison.render import metric_label, rate, units, usd
from tandem.specialists.comparison.report import ComparisonReport

COLORS = {"specialist": "#1f77b4", "llm": "#d62728", "cascade": "#2ca02c"}
MARKERS = {"specialist": "o", "llm": "s", "cascade": "D"}
#: a system that processed nothing is drawn at this speed (a log axis has no zero)
MIN_RATE = 1e-3


#: where a label may go relative to its point, tried in this order: directions (x, y) at growing distances
DIRECTIONS = ((0, -1), (0, 1), (1, 0), (-1, 0), (1, -1), (-1, -1), (1, 1), (-1, 1))
DISTANCES = (14, 45, 90)
ALIGN_X = {0: "center", 1: "left", -1: "right"}
ALIGN_Y = {0: "center", 1: "bottom", -1: "top"}


def _wrap(name: str, width: int = 40) -> str:
    """A long system name on at most two lines."""
    if len(name) <= width:
        return name
    cut = max(name.rfind(" ", 0, width), name.rfind("-", 0, width), name.rfind(",", 0, width))
    cut = cut + 1 if cut > width // 2 else width
    rest = name[cut:].strip()
    return name[:cut].rstrip() + "\n" + (rest if len(rest) <= width else rest[:width - 1] + "…")


def _annotate(ax: Any, text: str, x: float, y: float, dx: float, dy: float, ha: str, va: str) -> Any:
    """A boxed label; one set apart from its point gets a thin line to it."""
    arrow = {"arrowstyle": "-", "color": "#888888", "lw": 0.8} if abs(dx) + abs(dy) > 20 else None
    return ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, fontsize=8.5,
                       annotation_clip=False, zorder=5, arrowprops=arrow,
                       bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#bbbbbb", "alpha": 0.92})


def _overlap(box: Any, other: Any) -> float:
    width = min(box.x1, other.x1) - max(box.x0, other.x0)
    height = min(box.y1, other.y1) - max(box.y0, other.y0)
    return width * height if width > 0 and height > 0 else 0.0


def _place_labels(fig: Any, ax: Any, labels: list[tuple[float, float, str]], notes: list[Any]) -> None:
    """Annotate each point at the first place (:data:`DIRECTIONS` × :data:`DISTANCES`) where its box stays
    inside the axes and covers no point, earlier label, legend or note; where none is free, at the place
    that covers least."""
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    legend = ax.get_legend()
    taken = [artist.get_window_extent(renderer) for artist in [legend, *notes] if artist is not None]
    for x, y, _text in labels:
        px, py = ax.transData.transform((x, y))
        taken.append(Bbox.from_extents(px - 9, py - 9, px + 9, py + 9))
    for x, y, text in labels:
        best: tuple[float, int, int] | None = None
        for distance in DISTANCES:
            for dx, dy in DIRECTIONS:
                note = _annotate(ax, text, x, y, dx * distance, dy * distance, ALIGN_X[dx], ALIGN_Y[dy])
                note.update_positions(renderer)
                box = Text.get_window_extent(note, renderer).expanded(1.04, 1.1)  # the text, not its line
                note.remove()
                outside = box.width * box.height - _overlap(box, frame)
                cost = outside * 4 + sum(_overlap(box, other) for other in taken)
                if best is None or cost < best[0]:
                    best = (cost, dx * distance, dy * distance)
                if cost == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        _cost, dx, dy = best
        note = _annotate(ax, text, x, y, dx, dy, ALIGN_X[(dx > 0) - (dx < 0)], ALIGN_Y[(dy > 0) - (dy < 0)])
        note.update_positions(renderer)
        taken.append(Text.get_window_extent(note, renderer))


def _plain(value: float, _position: float | None = None) -> str:
    """Tick labels as plain numbers (0.01, 1, 1,000) rather than powers of ten."""
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def write_chart(report: ComparisonReport, path: str | Path) -> Path:
    """Draw ``report`` to ``path`` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    path = Path(path)
    metric = metric_label(report.task)
    item, short, gold_items = units(report.task)
    points = [(s, max(s.docs_per_s, MIN_RATE), s.quality(report.task) or 0.0) for s in report.systems]
    fig, ax = plt.subplots(figsize=(9, 6), dpi=110)
    try:
        xs = [x for _s, x, _y in points] or [1.0]
        low, high = math.log10(min(xs)), math.log10(max(xs))
        ax.set_xscale("log")
        ax.set_xlim(10 ** (low - 0.8), 10 ** (high + 0.8))
        ax.xaxis.set_major_formatter(FuncFormatter(_plain))
        ys = [y for _s, _x, y in points] or [0.0]
        spread = max(max(ys) - min(ys), 0.2)
        # a little room beyond 0 and 1, so that a point at either end shows whole
        bottom, top = max(-0.04, min(ys) - spread * 0.6), min(1.0, max(ys) + spread * 0.6) + 0.04
        ax.set_ylim(bottom, top)
        drawn: list[tuple[float, float]] = []
        labels: list[tuple[float, float, str]] = []
        for system, x, y in points:
            # a point on top of an earlier one (a cascade that never calls its LLM) is drawn smaller, so both show
            under = sum(abs(math.log10(x) - math.log10(px)) < 0.05 and abs(y - py) < 0.01 for px, py in drawn)
            ax.scatter([x], [y], s=150 * 0.4 ** under, color=COLORS.get(system.kind, "gray"),
                       marker=MARKERS.get(system.kind, "o"), edgecolor="black", linewidth=0.8, zorder=3 + under,
                       clip_on=False)
            drawn.append((x, y))
            text = (f"{_wrap(system.name)} ({system.kind})\n{metric} {y:.3f} · {rate(system.docs_per_s)} {short}/s"
                    f"\n{usd(system.cost_per_1k_docs)} per 1k {short}")
            if under:  # one box for the points drawn on top of each other
                first = next(i for i, (lx, ly, _t) in enumerate(labels)
                             if abs(math.log10(x) - math.log10(lx)) < 0.05 and abs(y - ly) < 0.01)
                labels[first] = (labels[first][0], labels[first][1], labels[first][2] + "\n" + text)
            else:
                labels.append((x, y, text))
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xlabel(f"speed: {item} per second (log scale; right is faster)")
        ax.set_ylabel(f"quality: {metric} on the gold data (scale 0–1; up is better)")
        ax.set_title(f"{report.task}: quality vs speed on {Path(report.gold).name} ({report.docs} {gold_items})",
                     fontsize=12)
        better = ax.text(0.99, 0.02, "better: up and to the right ↗", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=9, color="#555555")
        cost = report.cost_model
        fig.text(0.01, 0.01, f"cost: tokens at USD {cost.price_in:g}/{cost.price_out:g} per million in/out "
                 f"+ CPU time at USD {cost.cpu_hour:g} per CPU-hour", fontsize=7.5, color="#555555")
        kinds = list(dict.fromkeys(s.kind for s, _x, _y in points))
        ax.legend(handles=[Line2D([], [], linestyle="", marker=MARKERS.get(k, "o"), color=COLORS.get(k, "gray"),
                                  markeredgecolor="black", markersize=9, label=k) for k in kinds],
                  loc="upper left", title="kind", fontsize=8.5)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        _place_labels(fig, ax, labels, [better])
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
