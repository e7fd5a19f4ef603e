"""Server-rendered SVG pie charts: every slice is a link, so the chart works without JavaScript.

The renderer knows nothing about licenses: it takes labelled counts with a link each and returns
the slices (for the SVG) and legend rows (label, count, percentage) for the template.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Colour-blind-safe palette (Okabe-Ito, reordered so neighbouring slices contrast).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)


@dataclass(frozen=True)
class PieItem:
    key: str
    label: str
    count: int
    url: str
    color: str = ""


@dataclass(frozen=True)
class PieSlice:
    key: str
    label: str
    count: int
    url: str
    color: str
    percent: float
    # SVG path data; empty when the slice is the whole circle (drawn as a <circle>).
    path: str
    full_circle: bool


@dataclass(frozen=True)
class Pie:
    slices: list[PieSlice]
    total: int
    size: int
    radius: float

    @property
    def center(self) -> float:
        return self.size / 2


def _point(center: float, radius: float, angle: float) -> tuple[float, float]:
    # Angles start at 12 o'clock and run clockwise, like a clock face.
    return (
        round(center + radius * math.sin(angle), 3),
        round(center - radius * math.cos(angle), 3),
    )


def pie_chart(items: list[PieItem], *, size: int = 200) -> Pie:
    """Lay out slices for `items` in the given order; zero counts get a legend row but no arc."""
    total = sum(item.count for item in items)
    center = size / 2
    radius = size / 2 - 4
    slices: list[PieSlice] = []
    angle = 0.0
    for index, item in enumerate(items):
        color = item.color or PALETTE[index % len(PALETTE)]
        percent = (100.0 * item.count / total) if total else 0.0
        path = ""
        full = False
        if total and item.count == total:
            full = True
        elif item.count:
            sweep = 2 * math.pi * item.count / total
            x1, y1 = _point(center, radius, angle)
            x2, y2 = _point(center, radius, angle + sweep)
            large_arc = 1 if sweep > math.pi else 0
            path = (
                f"M {center} {center} L {x1} {y1} A {radius} {radius} 0 {large_arc} 1 {x2} {y2} Z"
            )
            angle += sweep
        slices.append(
            PieSlice(
                key=item.key,
                label=item.label,
                count=item.count,
                url=item.url,
                color=color,
                percent=percent,
                path=path,
                full_circle=full,
            )
        )
    return Pie(slices=slices, total=total, size=size, radius=radius)


# --- bar chart (consumption per day) -------------------------------------------------------


@dataclass(frozen=True)
class BarItem:
    key: str
    label: str
    value: int


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    label: str
    position: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    # The plot area: left edge, top, bottom (bars grow up from `baseline`).
    left: float
    top: float
    baseline: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    maximum: int


def _nice_ceiling(value: int) -> int:
    """The smallest round number (2, 3, 4, 5, 6, 8 or 10 × 10^n) at least `value`, for an axis
    whose middle tick is a whole number too."""
    if value <= 2:
        return 2
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude and (step * magnitude) % 2 == 0:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    items: list[BarItem], *, width: int = 720, height: int = 220, x_labels: int = 6
) -> BarChart:
    """Lay out one bar per item, left to right, on a round vertical scale with three ticks and
    about `x_labels` labels along the bottom (the first, the last and evenly between)."""
    left, top, bottom = 44.0, 10.0, 24.0
    baseline = height - bottom
    plot_width = width - left - 6
    maximum = _nice_ceiling(max((item.value for item in items), default=0))
    slot = plot_width / max(len(items), 1)
    gap = min(2.0, slot * 0.2)
    bars = []
    for index, item in enumerate(items):
        bar_height = (baseline - top) * item.value / maximum
        bars.append(
            Bar(
                key=item.key,
                label=item.label,
                value=item.value,
                x=round(left + index * slot + gap / 2, 2),
                y=round(baseline - bar_height, 2),
                width=round(max(slot - gap, 0.5), 2),
                height=round(bar_height, 2),
            )
        )
    y_ticks = [
        Tick(label=f"{value:,}", position=round(baseline - (baseline - top) * value / maximum, 2))
        for value in (0, maximum // 2, maximum)
    ]
    x_ticks = []
    if items:
        count = min(x_labels, len(items))
        indexes = sorted({round(i * (len(items) - 1) / max(count - 1, 1)) for i in range(count)})
        x_ticks = [
            Tick(label=items[i].label, position=round(left + (i + 0.5) * slot, 2)) for i in indexes
        ]
    return BarChart(
        bars=bars,
        width=width,
        height=height,
        left=left,
        top=top,
        baseline=baseline,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        maximum=maximum,
    )
