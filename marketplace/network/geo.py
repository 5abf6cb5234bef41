"""Offline maps of the workshop network: dots, labels and routes drawn as SVG over the basemap
of their view (``marketplace.network.basemap``), without any tile server.

Pure Python with no Django import, so views, tasks and benchmarks share it and tests run
without a database.

Typical use::

    the_map = network_map([MapPoint(52.52, 13.405, "Berlin", url="/w/1/")])
    # render templates/marketplace/_network_map.html with {"map": the_map}
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from marketplace.network.basemap import (
    DOT_RADIUS,
    KINDS,
    LABEL_SIZE,
    BBox,
    CountryPath,
    MapProjection,
    basemap,
    boxes_overlap,
)


@dataclass(frozen=True)
class MapPoint:
    """A place to draw. ``title`` is the tooltip (defaults to ``label``)."""

    lat: float
    lon: float
    label: str
    kind: str = "workshop"
    url: str = ""
    title: str = ""


@dataclass(frozen=True)
class MapLine:
    """A directed route between two places, drawn as a gentle arc with an arrow head."""

    from_lat: float
    from_lon: float
    to_lat: float
    to_lon: float
    label: str = ""

    @classmethod
    def between(cls, start: MapPoint, end: MapPoint, label: str = "") -> MapLine:
        return cls(start.lat, start.lon, end.lat, end.lon, label)


@dataclass(frozen=True)
class PlacedPoint:
    x: float
    y: float
    label: str
    kind: str
    url: str
    title: str
    show_label: bool = False
    label_x: float = 0.0
    label_y: float = 0.0
    label_anchor: str = "start"


@dataclass(frozen=True)
class PlacedLine:
    x1: float
    y1: float
    x2: float
    y2: float
    d: str
    label: str


@dataclass(frozen=True)
class NetworkMap:
    """Everything ``_network_map.html`` needs; numbers are already in viewBox units."""

    width: int
    height: float
    countries: tuple[CountryPath, ...]
    points: tuple[PlacedPoint, ...]
    lines: tuple[PlacedLine, ...]
    title: str
    dom_id: str
    basemap_key: str = ""
    dot_radius: float = DOT_RADIUS
    label_size: float = LABEL_SIZE

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height:g}"

    @property
    def has_links(self) -> bool:
        return any(p.url for p in self.points)

    @property
    def country_paths(self) -> list[str]:
        return [c.d for c in self.countries]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _default_title(points: Sequence[MapPoint], lines: Sequence[MapLine]) -> str:
    counts: dict[str, int] = {}
    for p in points:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    parts = [_plural(n, kind) for kind, n in counts.items()]
    if lines:
        parts.append(_plural(len(lines), "route"))
    return "Map of " + (", ".join(parts) if parts else "the network")


def _place_labels(
    placed: list[tuple[float, float, MapPoint]], width: float, height: float, r: float, size: float
) -> list[PlacedPoint]:
    """Greedy, in the caller's order: label a dot only where the text hits no dot or label.

    Unlabelled dots keep their tooltip; callers put the most important points first.
    """
    boxes: list[BBox] = [(x - r, y - r, x + r, y + r) for x, y, _ in placed]
    taken: list[BBox] = []
    result = []
    for index, (x, y, point) in enumerate(placed):
        text_w = 0.56 * size * len(point.label)
        top, bottom = y - 0.62 * size, y + 0.42 * size
        chosen = None
        for anchor in ("start", "end"):
            if anchor == "start":
                box = (x + r + 3, top, x + r + 3 + text_w, bottom)
            else:
                box = (x - r - 3 - text_w, top, x - r - 3, bottom)
            if box[0] < 0 or box[2] > width or box[1] < 0 or box[3] > height:
                continue
            if any(boxes_overlap(box, b) for b in taken):
                continue
            if any(boxes_overlap(box, b) for i, b in enumerate(boxes) if i != index):
                continue
            chosen = (anchor, box)
            break
        if chosen and point.label:
            anchor, box = chosen
            taken.append(box)
            label_x = box[0] if anchor == "start" else box[2]
            shown = True
        else:
            anchor, label_x, shown = "start", x, False
        result.append(
            PlacedPoint(
                x=round(x, 1),
                y=round(y, 1),
                label=point.label,
                kind=point.kind if point.kind in KINDS else "workshop",
                url=point.url,
                title=point.title or point.label,
                show_label=shown,
                label_x=round(label_x, 1),
                label_y=round(y + 0.35 * size, 1),
                label_anchor=anchor,
            )
        )
    return result


def _place_line(
    projection: MapProjection, line: MapLine, gap: float, bend: float = 0.15
) -> PlacedLine | None:
    """A quadratic arc bent to the left of travel, so A→B and B→A do not overlap.

    Both ends stop ``gap`` short of the dots so the arrow head stays visible. Routes whose
    ends project to the same spot (same town) cannot be drawn and are dropped.
    """
    x1, y1 = projection.project(line.from_lat, line.from_lon)
    x2, y2 = projection.project(line.to_lat, line.to_lon)
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy)
    if length < 2 * gap + 2:
        return None
    cx = (x1 + x2) / 2 + dy * bend
    cy = (y1 + y2) / 2 - dx * bend

    def toward(px: float, py: float) -> tuple[float, float]:
        ux, uy = cx - px, cy - py
        n = math.hypot(ux, uy) or 1.0
        return px + ux / n * gap, py + uy / n * gap

    sx, sy = toward(x1, y1)
    ex, ey = toward(x2, y2)
    d = f"M{sx:.1f} {sy:.1f}Q{cx:.1f} {cy:.1f} {ex:.1f} {ey:.1f}"
    return PlacedLine(
        x1=round(x1, 1), y1=round(y1, 1), x2=round(x2, 1), y2=round(y2, 1), d=d, label=line.label
    )


def network_map(
    points: Sequence[MapPoint],
    lines: Sequence[MapLine] = (),
    *,
    width: int = 1000,
    padding_deg: float = 1.5,
    min_span_deg: float = 8.0,
    title: str | None = None,
    data_path: Path | None = None,
) -> NetworkMap:
    """Fit, project and lay out a map of places and routes, ready for ``_network_map.html``.

    Points without coordinates (``None``) are skipped rather than failing the page.
    """
    points = [p for p in points if p.lat is not None and p.lon is not None]
    lines = [
        ln
        for ln in lines
        if None not in (ln.from_lat, ln.from_lon, ln.to_lat, ln.to_lon)  # type: ignore[comparison-overlap]
    ]
    coords = [(p.lat, p.lon) for p in points]
    for ln in lines:
        coords += [(ln.from_lat, ln.from_lon), (ln.to_lat, ln.to_lon)]
    projection = MapProjection.fit(
        coords, width=width, padding_deg=padding_deg, min_span_deg=min_span_deg
    )
    placed = [(*projection.project(p.lat, p.lon), p) for p in points]
    placed_points = _place_labels(
        placed, projection.width, projection.height, DOT_RADIUS, LABEL_SIZE
    )
    placed_lines = [
        pl for ln in lines if (pl := _place_line(projection, ln, gap=DOT_RADIUS + 2)) is not None
    ]
    fingerprint = repr((projection, points, lines)).encode()
    return NetworkMap(
        width=projection.width,
        height=projection.height,
        countries=basemap(projection, data_path),
        points=tuple(placed_points),
        lines=tuple(placed_lines),
        title=title if title is not None else _default_title(points, lines),
        dom_id="map-" + hashlib.sha1(fingerprint, usedforsecurity=False).hexdigest()[:8],
        basemap_key=projection.key,
    )
