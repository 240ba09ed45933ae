"""The taste map as inline SVG: every MovieLens user a dot coloured by cluster, the person a
large labelled star on top, and a legend naming every cluster.

Gradio's native scatter plot draws every point the same size, so "you" was a dot among 610;
an SVG is small (about 40 KB for 610 users), needs no script, and keeps a tooltip per dot.
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd

WIDTH, HEIGHT, PAD = 640.0, 400.0, 24.0
DOT = 3.2
STAR = 15.0  # outer radius of the "you" marker, in SVG units
YOU_LABEL = "You are here"


def _star(cx: float, cy: float, outer: float = STAR) -> str:
    """A five-pointed star's polygon points around (cx, cy)."""
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else outer * 0.45
        angle = math.pi / 2 + i * math.pi / 5
        points.append(f"{cx + radius * math.cos(angle):.1f},{cy - radius * math.sin(angle):.1f}")
    return " ".join(points)


def taste_map_html(
    points: pd.DataFrame,
    colours: dict[str, str],
    you: tuple[float, float] | None,
    title: str = "Everyone's taste (PCA of the cluster features)",
) -> str:
    """``points``: x, y, cluster (legend name), userId. ``you``: the person's position, or None
    while they are not placed."""
    xs = [*points["x"], *([you[0]] if you else [])]
    ys = [*points["y"], *([you[1]] if you else [])]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)

    def sx(x: float) -> float:
        return PAD + (x - x0) / ((x1 - x0) or 1.0) * (WIDTH - 2 * PAD)

    def sy(y: float) -> float:
        return HEIGHT - PAD - (y - y0) / ((y1 - y0) or 1.0) * (HEIGHT - 2 * PAD)

    classes = {name: f"k{i}" for i, name in enumerate(colours)}
    style = "".join(f".{k}{{fill:{colours[n]}}}" for n, k in classes.items())
    rows = zip(points["x"], points["y"], points["cluster"], points["userId"], strict=True)
    dots = [  # whole units are finer than a dot; a class per cluster keeps the markup small
        f'<circle cx="{sx(x):.0f}" cy="{sy(y):.0f}" r="{DOT}" class="{classes.get(c, "")}">'
        f"<title>user {int(u)}, {escape(str(c))}</title></circle>"
        for x, y, c, u in rows
    ]
    marker = ""
    if you is not None:
        cx, cy = sx(you[0]), sy(you[1])
        anchor, dx = ("end", -STAR - 4) if cx > WIDTH * 0.7 else ("start", STAR + 4)
        marker = (
            f'<g class="you"><polygon points="{_star(cx, cy)}" fill="#111" stroke="#fff" '
            f'stroke-width="2"><title>{YOU_LABEL}</title></polygon>'
            f'<text x="{cx + dx:.1f}" y="{cy + 5:.1f}" text-anchor="{anchor}" font-size="15" '
            f'font-weight="700" fill="#111" stroke="#fff" stroke-width="4" '
            f'paint-order="stroke">{YOU_LABEL}</text></g>'
        )
    legend = "".join(
        f'<span class="legend-item"><span class="swatch" style="background:{colour}"></span>'
        f"{escape(name)}</span>"
        for name, colour in colours.items()
    )
    if you is not None:
        legend += f'<span class="legend-item"><b>★ {YOU_LABEL}</b></span>'
    return (
        f'<div class="taste-map"><div class="map-title">{escape(title)}</div>'
        f'<svg viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" width="100%" role="img" '
        f'aria-label="{escape(title)}">'
        f"<style>circle{{fill:#999;fill-opacity:0.7}}{style}</style>"
        f'<rect width="{WIDTH:.0f}" height="{HEIGHT:.0f}" fill="none" stroke="#ddd"/>'
        + "".join(dots)
        + marker
        + f'<text x="{WIDTH - PAD:.0f}" y="{HEIGHT - 6:.0f}" text-anchor="end" font-size="11" '
        'fill="#666">first taste axis →</text>'
        f'<text x="8" y="{PAD - 8:.0f}" font-size="11" fill="#666">↑ second taste axis</text>'
        f'</svg><div class="map-legend">{legend}</div></div>'
    )
