"""The map's ground: country outlines decoded from TopoJSON, a Web Mercator projection fitted
to a view, and the basemap of a view drawn once as SVG without any tile server.

Pure Python with no Django import, so views, tasks and benchmarks share it and tests run
without a database. Country outlines come from the vendored Natural Earth TopoJSON in
``static/vendor/world-atlas/``. The basemap of a view is one SVG document the site serves and
browsers cache (``basemap_svg``); each page carries only its dots and routes, inline. Nothing
is fetched from outside the site.

Typical use::

    the_map = network_map([MapPoint(52.52, 13.405, "Berlin", url="/w/1/")])
    # render templates/marketplace/_network_map.html with {"map": the_map}

Limits: views that cross the antimeridian are not supported (the network is European).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_TOPOLOGY = (
    Path(__file__).resolve().parents[2] / "static/vendor/world-atlas/countries-50m.json"
)
MERCATOR_MAX_LAT = 85.0511287798
"""Web Mercator is undefined at the poles; this is the latitude where it becomes square."""

DEFAULT_VIEW = (-11.0, 35.0, 32.0, 61.0)
"""(west, south, east, north) shown when there is nothing to fit: Europe."""

DOT_RADIUS = 6.0
KEY_STEP_DEG = 0.5  # the grid ``MapProjection.fit`` rounds view boxes to
MIN_WIDTH, MAX_WIDTH = 100, 4000  # viewBox units
LABEL_SIZE = 14.0
SEA, LAND, BORDER = "#f4f8fb", "#dde7ef", "#b9c8d6"  # the colours of static/css/map.css
KINDS = frozenset({"workshop", "carrier", "customer"})

_DEG = math.pi / 180.0

Position = tuple[float, float]
"""(lon, lat) in degrees, GeoJSON order, as TopoJSON stores them."""
Ring = list[Position]
BBox = tuple[float, float, float, float]
"""(west, south, east, north) in degrees."""


# -- TopoJSON ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    """One decoded feature: rings of (lon, lat) with their bounding boxes for cheap culling."""

    id: str
    name: str
    rings: tuple[tuple[Position, ...], ...]
    ring_bboxes: tuple[BBox, ...]

    @property
    def bbox(self) -> BBox:
        if not self.ring_bboxes:
            return (0.0, 0.0, 0.0, 0.0)
        return (
            min(b[0] for b in self.ring_bboxes),
            min(b[1] for b in self.ring_bboxes),
            max(b[2] for b in self.ring_bboxes),
            max(b[3] for b in self.ring_bboxes),
        )


def decode_arcs(topology: Mapping[str, Any]) -> list[list[Position]]:
    """Absolute (lon, lat) arcs; quantized topologies store deltas that must be summed."""
    transform = topology.get("transform")
    if not transform:
        return [[(float(p[0]), float(p[1])) for p in arc] for arc in topology["arcs"]]
    sx, sy = transform["scale"]
    tx, ty = transform["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for p in arc:
            x += p[0]
            y += p[1]
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def stitch_ring(arc_indexes: Sequence[int], arcs: Sequence[Sequence[Position]]) -> Ring:
    """Join arcs into one ring; ``~i`` means arc ``i`` reversed, shared ends appear once."""
    ring: Ring = []
    for index in arc_indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        ring.extend(arc[1:] if ring else arc)
    return ring


def geometry_rings(geometry: Mapping[str, Any], arcs: Sequence[Sequence[Position]]) -> list[Ring]:
    """Every ring of a Polygon or MultiPolygon (holes included); other types have none."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [stitch_ring(r, arcs) for r in geometry["arcs"]]
    if kind == "MultiPolygon":
        return [stitch_ring(r, arcs) for polygon in geometry["arcs"] for r in polygon]
    if kind == "GeometryCollection":
        return [ring for g in geometry["geometries"] for ring in geometry_rings(g, arcs)]
    return []


def _ring_bbox(ring: Sequence[Position]) -> BBox:
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return (min(lons), min(lats), max(lons), max(lats))


def decode_topology(topology: Mapping[str, Any], object_name: str = "countries") -> list[Country]:
    """Decode one GeometryCollection of a TopoJSON topology into countries."""
    arcs = decode_arcs(topology)
    collection = topology["objects"][object_name]
    geometries = collection.get("geometries", [collection])
    countries = []
    for geometry in geometries:
        rings = [tuple(r) for r in geometry_rings(geometry, arcs) if len(r) >= 3]
        countries.append(
            Country(
                id=str(geometry.get("id", "")),
                name=str((geometry.get("properties") or {}).get("name", "")),
                rings=tuple(rings),
                ring_bboxes=tuple(_ring_bbox(r) for r in rings),
            )
        )
    return countries


@lru_cache(maxsize=4)
def load_countries(path: Path = DEFAULT_TOPOLOGY) -> tuple[Country, ...]:
    """Read and decode a world-atlas file once per process (decoding 50m costs ~0.1 s)."""
    with Path(path).open(encoding="utf-8") as fh:
        return tuple(decode_topology(json.load(fh), "countries"))


# -- projection --------------------------------------------------------------------------------


def _merc_y(lat: float) -> float:
    lat = max(-MERCATOR_MAX_LAT, min(MERCATOR_MAX_LAT, lat))
    return math.log(math.tan(math.pi / 4 + lat * _DEG / 2))


def _merc_lat(y: float) -> float:
    return (2 * math.atan(math.exp(y)) - math.pi / 2) / _DEG


class UnknownMap(ValueError):
    """A map key that names no view this site draws."""


@dataclass(frozen=True)
class MapProjection:
    """Web Mercator fitted to a lon/lat box; familiar shapes for Europe, north up, y down.

    Frozen and built from a rounded box so it can key the basemap cache.
    """

    west: float
    south: float
    east: float
    north: float
    width: int = 1000

    @classmethod
    def fit(
        cls,
        coords: Iterable[tuple[float, float]],
        *,
        width: int = 1000,
        padding_deg: float = 1.5,
        min_span_deg: float = 8.0,
        min_aspect: float = 0.5,
        max_aspect: float = 0.75,
        step_deg: float = 0.5,
    ) -> MapProjection:
        """Fit (lat, lon) pairs with padding, a minimum span and a bounded height/width ratio.

        The minimum span keeps one lone workshop in its region instead of a blank zoom; the
        aspect bounds stop a north-south chain from producing a very tall strip. The box is
        rounded outward to ``step_deg`` so nearby views share one cached basemap.
        """
        pairs = [(float(lat), float(lon)) for lat, lon in coords]
        if pairs:
            lats = [p[0] for p in pairs]
            lons = [p[1] for p in pairs]
            west, east = min(lons) - padding_deg, max(lons) + padding_deg
            south, north = min(lats) - padding_deg, max(lats) + padding_deg
        else:
            west, south, east, north = DEFAULT_VIEW
        if east - west < min_span_deg:
            mid = (east + west) / 2
            west, east = mid - min_span_deg / 2, mid + min_span_deg / 2
        if north - south < min_span_deg:
            mid = (north + south) / 2
            south, north = mid - min_span_deg / 2, mid + min_span_deg / 2
        south = max(south, -80.0)
        north = min(north, 80.0)

        x_span = (east - west) * _DEG
        y_span = _merc_y(north) - _merc_y(south)
        if y_span > max_aspect * x_span:
            grow = (y_span / max_aspect / _DEG - (east - west)) / 2
            west, east = west - grow, east + grow
        elif y_span < min_aspect * x_span:
            mid = (_merc_y(north) + _merc_y(south)) / 2
            half = min_aspect * x_span / 2
            south, north = max(_merc_lat(mid - half), -80.0), min(_merc_lat(mid + half), 80.0)

        def down(v: float) -> float:
            return math.floor(v / step_deg) * step_deg

        def up(v: float) -> float:
            return math.ceil(v / step_deg) * step_deg

        return cls(
            west=max(down(west), -180.0),
            south=max(down(south), -80.0),
            east=min(up(east), 180.0),
            north=min(up(north), 80.0),
            width=int(width),
        )

    @property
    def key(self) -> str:
        """The projection as a URL-safe text, naming its basemap (see ``from_key``)."""
        return f"{self.west:g}_{self.south:g}_{self.east:g}_{self.north:g}_{self.width}"

    @classmethod
    def from_key(cls, key: str) -> MapProjection:
        """The projection ``key`` names; UnknownMap unless ``fit`` could have made it.

        Only boxes on the ``fit`` grid, inside the mapped world and of a sane width pass, so
        a client cannot make the server draw arbitrary maps.
        """
        parts = key.split("_")
        try:
            west, south, east, north = (float(part) for part in parts[:4])
            width = int(parts[4])
        except (ValueError, IndexError) as error:
            raise UnknownMap(f"{key!r} is not a map key") from error
        on_grid = all(
            math.isfinite(v) and (v / KEY_STEP_DEG).is_integer() for v in (west, south, east, north)
        )
        if not (
            len(parts) == 5
            and on_grid
            and -180.0 <= west < east <= 180.0
            and -80.0 <= south < north <= 80.0
            and MIN_WIDTH <= width <= MAX_WIDTH
        ):
            raise UnknownMap(f"{key!r} is not a map this site draws")
        projection = cls(west=west, south=south, east=east, north=north, width=width)
        if projection.key != key:
            raise UnknownMap(f"{key!r} is not written the one way map keys are")
        return projection

    @property
    def scale(self) -> float:
        """viewBox units per radian of longitude."""
        return self.width / ((self.east - self.west) * _DEG)

    @property
    def height(self) -> float:
        return round((_merc_y(self.north) - _merc_y(self.south)) * self.scale, 1)

    @property
    def bbox(self) -> BBox:
        return (self.west, self.south, self.east, self.north)

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        """(lat, lon) in degrees to SVG (x, y) in viewBox units."""
        k = self.scale
        x = (float(lon) - self.west) * _DEG * k
        y = (_merc_y(self.north) - _merc_y(float(lat))) * k
        return x, y


# -- basemap -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountryPath:
    id: str
    name: str
    d: str


def boxes_overlap(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _clip(points: list[Position], x0: float, y0: float, x1: float, y1: float) -> list[Position]:
    """Sutherland–Hodgman against a rectangle: far-off coastline (Siberia) is not shipped.

    Clipping happens a few px outside the viewBox, so the straight edges it adds are never seen.
    """

    def cut(pts: list[Position], inside: Any, cross: Any) -> list[Position]:
        if not pts:
            return pts
        out: list[Position] = []
        prev = pts[-1]
        prev_in = inside(prev)
        for cur in pts:
            cur_in = inside(cur)
            if cur_in:
                if not prev_in:
                    out.append(cross(prev, cur))
                out.append(cur)
            elif prev_in:
                out.append(cross(prev, cur))
            prev, prev_in = cur, cur_in
        return out

    def at_x(xc: float) -> Any:
        return lambda p, q: (xc, p[1] + (q[1] - p[1]) * (xc - p[0]) / (q[0] - p[0]))

    def at_y(yc: float) -> Any:
        return lambda p, q: (p[0] + (q[0] - p[0]) * (yc - p[1]) / (q[1] - p[1]), yc)

    points = cut(points, lambda p: p[0] >= x0, at_x(x0))
    points = cut(points, lambda p: p[0] <= x1, at_x(x1))
    points = cut(points, lambda p: p[1] >= y0, at_y(y0))
    return cut(points, lambda p: p[1] <= y1, at_y(y1))


def _ring_path(
    ring: Sequence[Position], projection: MapProjection, tolerance: float, margin: float
) -> str:
    k = projection.scale
    west = projection.west * _DEG
    top = _merc_y(projection.north)
    lo, hi = -MERCATOR_MAX_LAT, MERCATOR_MAX_LAT
    tol2 = tolerance * tolerance
    pts: list[Position] = []
    lx = ly = math.inf
    for lon, lat in ring:
        lat = lo if lat < lo else hi if lat > hi else lat
        x = (lon * _DEG - west) * k
        y = (top - math.log(math.tan(math.pi / 4 + lat * _DEG / 2))) * k
        if (x - lx) ** 2 + (y - ly) ** 2 >= tol2:
            pts.append((x, y))
            lx, ly = x, y
    if len(pts) < 3:
        return ""
    pts = _clip(pts, -margin, -margin, projection.width + margin, projection.height + margin)
    coords: list[str] = []
    for x, y in pts:
        c = f"{x:.1f} {y:.1f}"
        if not coords or coords[-1] != c:
            coords.append(c)
    if len(coords) < 3:
        return ""
    return "M" + coords[0] + "L" + " ".join(coords[1:]) + "Z"


@lru_cache(maxsize=32)
def _basemap(projection: MapProjection, path: Path, tolerance: float) -> tuple[CountryPath, ...]:
    # The lon/lat view box, widened a little so coastlines just off-screen still clip cleanly.
    view = (
        projection.west - 1,
        projection.south - 1,
        projection.east + 1,
        projection.north + 1,
    )
    margin = 4.0
    result = []
    for country in load_countries(path):
        parts = [
            _ring_path(ring, projection, tolerance, margin)
            for ring, bbox in zip(country.rings, country.ring_bboxes, strict=True)
            if boxes_overlap(bbox, view)
        ]
        d = "".join(p for p in parts if p)
        if d:
            result.append(CountryPath(id=country.id, name=country.name, d=d))
    return tuple(result)


def basemap(
    projection: MapProjection, data_path: Path | None = None, tolerance_px: float = 1.0
) -> tuple[CountryPath, ...]:
    """Country outlines in view, projected, simplified to ~1 px and clipped; cached per view."""
    return _basemap(projection, Path(data_path or DEFAULT_TOPOLOGY), float(tolerance_px))


@lru_cache(maxsize=32)
def basemap_svg(projection: MapProjection, data_path: Path | None = None) -> str:
    """The basemap as one standalone SVG document, for the browser to fetch once and cache.

    Pages place it under their dots and routes (``_network_map.html``), so a page carries a
    few hundred bytes of map instead of ~100 kB of coastline. Colours are attributes: page
    styles do not reach into an image.
    """
    paths = "".join(f'<path d="{c.d}"/>' for c in basemap(projection, data_path))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {projection.width} {projection.height:g}" '
        f'width="{projection.width}" height="{projection.height:g}">'
        f'<rect width="100%" height="100%" fill="{SEA}"/>'
        f'<g fill="{LAND}" stroke="{BORDER}" stroke-width="0.6" stroke-linejoin="round" '
        f'fill-rule="evenodd">{paths}</g></svg>'
    )


def basemap_paths(
    projection: MapProjection, data_path: Path | None = None, tolerance_px: float = 1.0
) -> list[str]:
    """Just the SVG path ``d`` strings of :func:`basemap`."""
    return [c.d for c in basemap(projection, data_path, tolerance_px)]
