"""The burn-up chart: cumulative spend vs budget over the sprints, with the forecast, as PNG.

matplotlib with the Agg backend (no display, no GUI toolkit), and fixed metadata so the same
figures always give the same bytes: publishing compares a hash before re-attaching.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: servers and CI have no display

import matplotlib.pyplot as plt

from ..budget import Series

__all__ = ["FILENAME", "burnup_png"]

FILENAME = "burnup.png"


def burnup_png(series: Series, *, title: str) -> bytes:
    points = series.points
    labels = [p.label for p in points]
    # Dates on x, not an index: sprints and the period's ends are unevenly spaced, and the
    # linear plan is only a straight line on a time axis.
    xs = [p.at for p in points]
    budget = [float(p.budget.amount) for p in points]
    planned = [float(p.planned.amount) for p in points]
    actual = [(x, float(p.spent.amount)) for x, p in zip(xs, points, strict=True) if p.spent]
    forecast = [
        (x, float(p.forecast.amount)) for x, p in zip(xs, points, strict=True) if p.forecast
    ]

    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=100)
    try:
        ax.plot(xs, budget, color="#6B778C", linewidth=2, label="Budget")
        ax.plot(xs, planned, color="#97A0AF", linestyle=":", label="Planned (linear)")
        if actual:
            ax.plot(
                *zip(*actual, strict=True),
                color="#0052CC",
                marker="o",
                linewidth=2.5,
                label="Spent to date",
            )
        if forecast:
            ax.plot(
                *zip(*forecast, strict=True),
                color="#FF8B00",
                linestyle="--",
                marker=".",
                label="Forecast at burn rate",
            )
        ax.set_xticks(xs, labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(series.currency)
        # Headroom above the budget line for the legend, so it never hides a line.
        top = max([*budget, *(v for _, v in actual), *(v for _, v in forecast)])
        ax.set_ylim(0, top * 1.3)
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(title, fontsize=11)
        ax.legend(loc="upper left", ncol=2, fontsize=8, frameon=False)
        fig.tight_layout()
        buf = io.BytesIO()
        # No timestamp or software version in the file: identical figures, identical bytes.
        fig.savefig(buf, format="png", metadata={"Software": None})
        return buf.getvalue()
    finally:
        plt.close(fig)
