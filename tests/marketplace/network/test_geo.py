"""The offline map core: distances, TopoJSON decoding, projection and basemap, no database."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from hypothesis import given
from hypothesis import strategies as st

from marketplace.demo.catalog import WORKSHOPS
from marketplace.network.basemap import (
    DEFAULT_VIEW,
    KEY_STEP_DEG,
    MapProjection,
    UnknownMap,
    _basemap,
    basemap,
    basemap_paths,
    basemap_svg,
    boxes_overlap,
    decode_arcs,
    decode_topology,
    load_countries,
)
from marketplace.network.geo import MapLine, MapPoint, network_map
from matching.geodesy import haversine_km
from tests.helpers import imported_django_modules

BERLIN = (52.5200, 13.4050)
PARIS = (48.8566, 2.3522)
STUTTGART = (48.7758, 9.1829)
EINDHOVEN = (51.4416, 5.4697)
EUROPE_POINTS = [(float(w[3]), float(w[4])) for w in WORKSHOPS]


# -- distances ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "geodesic_km"),
    [
        # References: the WGS84 ellipsoid geodesic (Vincenty), which the sphere matches to ~0.5 %.
        (BERLIN, PARIS, 879.7),
        (STUTTGART, EINDHOVEN, 398.0),
    ],
)
def test_haversine_matches_the_geodesic_within_one_percent(a, b, geodesic_km):
    assert haversine_km(*a, *b) == pytest.approx(geodesic_km, rel=0.01)


def test_haversine_is_symmetric_and_zero_for_the_same_point():
    assert haversine_km(*BERLIN, *PARIS) == pytest.approx(haversine_km(*PARIS, *BERLIN))
    assert haversine_km(*STUTTGART, *STUTTGART) == 0.0


def test_haversine_accepts_decimals_from_the_database():
    from decimal import Decimal

    d = haversine_km(Decimal("52.52"), Decimal("13.405"), Decimal("48.8566"), Decimal("2.3522"))
    assert d == pytest.approx(haversine_km(*BERLIN, *PARIS))


# -- TopoJSON ----------------------------------------------------------------------------------

# Two unit squares side by side, sharing the vertical arc x=1. Arc 0 is the shared edge going
# up; the left square walks it up, the right square walks it down (~0 == -1, reversed).
# Quantized with scale 0.5 / translate 10, 20 and delta-encoded, as world-atlas stores arcs.
TINY = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.5], "translate": [10, 20]},
    "objects": {
        "countries": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "id": "001", "properties": {"name": "Left"}, "arcs": [[0, 1]]},
                {
                    "type": "MultiPolygon",
                    "id": "002",
                    "properties": {"name": "Right"},
                    "arcs": [[[~0, 2]]],
                },
                {"type": None, "id": "003", "properties": {"name": "Nowhere"}},
            ],
        }
    },
    "arcs": [
        # (1,0) -> (1,1): quantized (2,0) -> (2,2)
        [[2, 0], [0, 2]],
        # (1,1) -> (0,1) -> (0,0) -> (1,0): quantized (2,2) (0,2) (0,0) (2,0)
        [[2, 2], [-2, 0], [0, -2], [2, 0]],
        # (1,0) -> (2,0) -> (2,1) -> (1,1): quantized (2,0) (4,0) (4,2) (2,2)
        [[2, 0], [2, 0], [0, 2], [-2, 0]],
    ],
}


def test_decode_arcs_undoes_quantization_and_delta_encoding():
    arcs = decode_arcs(TINY)
    assert arcs[0] == [(11.0, 20.0), (11.0, 21.0)]
    assert arcs[2] == [(11.0, 20.0), (12.0, 20.0), (12.0, 21.0), (11.0, 21.0)]


def test_decode_topology_stitches_shared_and_reversed_arcs_into_rings():
    left, right, nowhere = decode_topology(TINY)

    assert (left.id, left.name) == ("001", "Left")
    assert left.rings == (((11, 20), (11, 21), (10, 21), (10, 20), (11, 20)),)
    assert (right.id, right.name) == ("002", "Right")
    assert right.rings == (((11, 21), (11, 20), (12, 20), (12, 21), (11, 21)),)
    assert right.bbox == (11, 20, 12, 21)
    assert nowhere.rings == ()


def test_decode_without_transform_reads_absolute_coordinates():
    topology = {
        "arcs": [[[0, 0], [1, 0], [1, 1], [0, 0]]],
        "objects": {"countries": {"type": "Polygon", "arcs": [[0]]}},
    }
    (only,) = decode_topology(topology)
    assert only.rings == (((0, 0), (1, 0), (1, 1), (0, 0)),)


def test_world_atlas_identifies_countries_by_iso_numeric_id_and_name():
    by_name = {c.name: c for c in load_countries()}
    assert by_name["Germany"].id == "276"
    assert by_name["France"].id == "250"
    assert by_name["Australia"].id == "036"


# -- projection --------------------------------------------------------------------------------


def test_projection_keeps_points_inside_the_view_box_and_their_compass_order():
    projection = MapProjection.fit(EUROPE_POINTS)
    xy = {p: projection.project(*p) for p in EUROPE_POINTS}
    for x, y in xy.values():
        assert 0 < x < projection.width
        assert 0 < y < projection.height
    berlin, paris = projection.project(*BERLIN), projection.project(*PARIS)
    stuttgart, eindhoven = projection.project(*STUTTGART), projection.project(*EINDHOVEN)
    assert paris[0] < berlin[0]  # west is left
    assert berlin[1] < paris[1]  # north is up
    assert eindhoven[0] < stuttgart[0]
    assert eindhoven[1] < stuttgart[1]


def test_projection_height_stays_within_the_aspect_bounds():
    tall = MapProjection.fit([(36.0, 14.0), (70.0, 14.0)])  # a north-south chain
    wide = MapProjection.fit([(48.0, -10.0), (48.0, 40.0)])
    for projection in (tall, wide):
        # Rounding the box outward to 0.5° may move the ratio a little past the bound.
        assert 0.45 * projection.width <= projection.height <= 0.8 * projection.width


def test_a_single_point_still_gets_a_regional_view():
    projection = MapProjection.fit([BERLIN])
    assert projection.east - projection.west >= 8
    assert projection.north - projection.south >= 4
    x, y = projection.project(*BERLIN)
    assert x == pytest.approx(projection.width / 2, rel=0.1)
    assert y == pytest.approx(projection.height / 2, rel=0.15)


def test_no_points_shows_europe():
    west, south, east, north = MapProjection.fit([]).bbox
    d_west, d_south, d_east, d_north = DEFAULT_VIEW
    assert west <= d_west
    assert south <= d_south
    assert east >= d_east
    assert north >= d_north


# -- basemap -----------------------------------------------------------------------------------


def test_basemap_for_europe_has_germany_and_france_and_not_australia():
    countries = basemap(MapProjection.fit(EUROPE_POINTS))
    names = {c.name for c in countries}
    assert {"Germany", "France", "Netherlands", "Poland"} <= names
    assert "Australia" not in names
    assert "Brazil" not in names


def test_basemap_paths_are_compact_clipped_svg():
    projection = MapProjection.fit(EUROPE_POINTS)
    paths = basemap_paths(projection)
    assert paths
    number = re.compile(r"-?\d+\.\d")
    for d in paths:
        assert d.startswith("M")
        assert d.endswith("Z")
        for value in number.findall(d):
            # Clipped a few units outside the view box: Russia's Far East is not shipped.
            assert -10 <= float(value) <= projection.width + 10


def test_basemap_is_cached_per_view():
    projection = MapProjection.fit(EUROPE_POINTS)
    assert basemap(projection) is basemap(MapProjection.fit(EUROPE_POINTS))


# -- network map -------------------------------------------------------------------------------


def _europe_points() -> list[MapPoint]:
    return [
        MapPoint(float(w[3]), float(w[4]), w[1], url=f"/workshops/{i}/", title=w[0])
        for i, w in enumerate(WORKSHOPS)
    ]


def test_network_map_places_every_point_and_labels_without_overlap():
    the_map = network_map(_europe_points())
    assert len(the_map.points) == len(WORKSHOPS)
    assert the_map.view_box == f"0 0 1000 {the_map.height:g}"
    labelled = [p for p in the_map.points if p.show_label]
    assert len(labelled) >= len(WORKSHOPS) // 2
    size = the_map.label_size
    boxes = []
    for p in labelled:
        w = 0.56 * size * len(p.label)
        x0 = p.label_x if p.label_anchor == "start" else p.label_x - w
        boxes.append((x0, p.y - 0.6 * size, x0 + w, p.y + 0.4 * size))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not boxes_overlap(a, b), (a, b)


def test_network_map_draws_routes_and_drops_zero_length_ones():
    stuttgart = MapPoint(*STUTTGART, "Stuttgart")
    eindhoven = MapPoint(*EINDHOVEN, "Eindhoven")
    the_map = network_map(
        [stuttgart, eindhoven],
        [
            MapLine.between(stuttgart, eindhoven, "Milling, 398 km"),
            MapLine.between(eindhoven, stuttgart, "Back"),
            MapLine.between(stuttgart, stuttgart, "Same place"),
        ],
    )
    assert [line.label for line in the_map.lines] == ["Milling, 398 km", "Back"]
    there, back = the_map.lines
    assert there.d != back.d  # bent to opposite sides
    assert there.d.startswith("M")
    assert "Q" in there.d
    assert the_map.title == "Map of 2 workshops, 3 routes"


def test_network_map_skips_points_without_coordinates():
    the_map = network_map([MapPoint(None, None, "Unknown"), MapPoint(*BERLIN, "B")])  # type: ignore[arg-type]
    assert [p.label for p in the_map.points] == ["B"]


# The Europe map of the network page, inline: its dots, labels and the basemap's address; the
# outlines (about 100 kB with the 50m atlas) are one image per view that browsers cache.
EUROPE_SVG_MAX_BYTES = 12_000
BASEMAP_MAX_BYTES = 150_000


def test_the_europe_map_carries_its_dots_inline_and_its_coastlines_by_address():
    points = _europe_points()
    _basemap.cache_clear()
    first = network_map(points)
    second = network_map(points)
    assert second.countries is first.countries, "the second map must reuse the cached basemap"
    svg = render_to_string("marketplace/_network_map.html", {"map": first})
    assert render_to_string("marketplace/_network_map.html", {"map": second}) == svg
    assert svg.count("<circle") == len(WORKSHOPS)
    assert len(svg.encode()) < EUROPE_SVG_MAX_BYTES
    assert f"/network/basemap/{first.basemap_key}.svg" in svg
    assert "<path" not in svg  # no coastline: no route either on this map


def test_the_basemap_document_holds_every_country_in_view_once():
    projection = MapProjection.fit(EUROPE_POINTS)
    document = basemap_svg(projection)
    assert document.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert f'viewBox="0 0 1000 {projection.height:g}"' in document
    assert document.count("<path ") == len(basemap(projection))
    assert len(document.encode()) < BASEMAP_MAX_BYTES
    assert basemap_svg(projection) is document


@given(points=st.lists(st.tuples(st.floats(-79, 79), st.floats(-179, 179)), max_size=6))
def test_every_fitted_view_round_trips_through_its_key(points):
    projection = MapProjection.fit(points)
    assert MapProjection.from_key(projection.key) == projection


@given(st.text(max_size=40) | st.builds("_".join, st.lists(st.text(max_size=6), max_size=6)))
def test_a_key_the_site_did_not_make_is_refused_or_names_a_view_on_the_grid(key):
    try:
        projection = MapProjection.from_key(key)
    except UnknownMap:
        return
    assert projection.key == key
    for value in projection.bbox:
        assert (value / KEY_STEP_DEG).is_integer()


@pytest.mark.parametrize(
    "key",
    [
        "-11_35_32_61_1000.0",  # written another way
        "-11.25_35_32_61_1000",  # off the grid
        "32_35_-11_61_1000",  # inside out
        "-11_35_32_61_100000",  # too wide to draw
        "nan_35_32_61_1000",
        "-11_35_32_61",
    ],
)
def test_keys_off_the_grid_or_out_of_bounds_are_refused(key):
    with pytest.raises(UnknownMap):
        MapProjection.from_key(key)


def test_geo_imports_no_django_module():
    done = imported_django_modules("marketplace.network.geo", "marketplace.network.basemap")
    assert done.returncode == 0, done.stdout + done.stderr
