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
