"""``tandem compare --chart PATH.png``: quality against speed, one labelled point per system.

x: documents per second on a log scale (orders of magnitude apart is the usual case); y: the task's
primary metric. Each point is labelled with the system, its kind, its quality, speed and cost per 1,000
documents, so the picture alone tells the trade-off. matplotlib (Agg backend) is imported only here.
"""

from __future__ import annotations

import math
from pathlib import Path

from specialists.comparison.render import metric_label, rate, usd
from specialists.comparison.report import ComparisonReport

COLORS = {"specialist": "#1f77b4", "llm": "#d62728", "cascade": "#2ca02c"}
MARKERS = {"specialist": "o", "llm": "s", "cascade": "D"}
#: a system that processed nothing is drawn at this speed (a log axis has no zero)
MIN_RATE = 1e-3


def _short(name: str, limit: int = 34) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"


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
        bottom, top = max(0.0, min(ys) - spread * 0.6), min(1.0, max(ys) + spread * 0.6) + 0.02
        ax.set_ylim(bottom, top)
        placed: list[tuple[float, float, bool]] = []
        for system, x, y in points:
            ax.scatter([x], [y], s=140, color=COLORS.get(system.kind, "gray"), marker=MARKERS.get(system.kind, "o"),
                       edgecolor="black", linewidth=0.8, zorder=3)
            label = (f"{_short(system.name)} ({system.kind})\n{metric} {y:.3f} · {rate(system.docs_per_s)} docs/s"
                     f"\n{usd(system.cost_per_1k_docs)} per 1k docs")
            # labels of high points go below them, of low points above; a point close to one already
            # labelled takes the other side, so that two labels do not cover each other
            below = y > (bottom + top) / 2
            near = [side for px, py, side in placed
                    if abs(math.log10(x) - math.log10(px)) < 0.6 and abs(y - py) < spread * 0.5]
            if near and near[-1] == below:
                below = not below
            placed.append((x, y, below))
            ax.annotate(label, (x, y), xytext=(0, -14 if below else 14), textcoords="offset points",
                        ha="center", va="top" if below else "bottom", fontsize=8.5, annotation_clip=False,
                        bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#bbbbbb", "alpha": 0.9})
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xlabel("speed: documents per second (log scale; right is faster)")
        ax.set_ylabel(f"quality: {metric} on the gold data (0 to 1; up is better)")
        ax.set_title(f"{report.task}: quality vs speed on {Path(report.gold).name} ({report.docs} documents)",
                     fontsize=12)
        ax.text(0.99, 0.02, "better: up and to the right ↗", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=9, color="#555555")
        cost = report.cost_model
        fig.text(0.01, 0.01, f"cost: tokens at USD {cost.price_in:g}/{cost.price_out:g} per million in/out "
                 f"+ CPU time at USD {cost.cpu_hour:g} per CPU-hour", fontsize=7.5, color="#555555")
        kinds = list(dict.fromkeys(s.kind for s, _x, _y in points))
        ax.legend(handles=[Line2D([], [], linestyle="", marker=MARKERS.get(k, "o"), color=COLORS.get(k, "gray"),
                                  markeredgecolor="black", markersize=9, label=k) for k in kinds],
                  loc="upper left", title="kind", fontsize=8.5)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
