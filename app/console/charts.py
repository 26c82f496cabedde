"""Bar charts drawn on the server as SVG geometry (no chart library, no script): the template
draws one <rect> and two labels per bar from what `bars` computes."""

from __future__ import annotations

from dataclasses import dataclass

ROW = 44
LABEL_WIDTH = 300
BAR_WIDTH = 420
VALUE_WIDTH = 120
WIDTH = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, the value shown, and where it is drawn."""

    label: str
    shown: str
    y: int
    width: float


@dataclass(frozen=True, slots=True)
class Chart:
    """A horizontal bar chart's bars and its height."""

    bars: list[Bar]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH


def bars(rows: list[tuple[str, float, str]], *, maximum: float | None = None) -> Chart:
    """A chart of (label, value, value as shown) rows, scaled to `maximum` (the largest value
    when not given)."""
    top = maximum if maximum is not None else max((value for _, value, _ in rows), default=0.0)
    scale = BAR_WIDTH / top if top > 0 else 0.0
    drawn = [
        Bar(label=label, shown=shown, y=index * ROW, width=round(max(value, 0.0) * scale, 1))
        for index, (label, value, shown) in enumerate(rows)
    ]
    return Chart(bars=drawn, height=max(len(drawn), 1) * ROW)
