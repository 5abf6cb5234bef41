"""The map include renders a NetworkMap as accessible inline SVG over its cached basemap."""

from __future__ import annotations

import re

from django.template.loader import render_to_string

from marketplace.network.geo import MapLine, MapPoint, network_map

TEMPLATE = "marketplace/_network_map.html"


def _render(the_map) -> str:
    return render_to_string(TEMPLATE, {"map": the_map})


def test_one_circle_per_point_with_escaped_titles_and_links():
    points = [
        MapPoint(52.52, 13.405, "Berlin", url="/workshops/1/", title="Berliner <Druck> & Co"),
        MapPoint(48.7758, 9.1829, "Stuttgart", kind="carrier", url="/workshops/2/"),
        MapPoint(51.4416, 5.4697, "Eindhoven", kind="customer"),
    ]
    html = _render(network_map(points))

    assert html.count("<circle") == 3
    assert "Berliner &lt;Druck&gt; &amp; Co" in html
    assert "<Druck>" not in html
    assert 'href="/workshops/1/"' in html
    assert 'href="/workshops/2/"' in html
    assert html.count("<a ") == 2
    assert 'class="carrier"' in html
    assert 'class="customer"' in html
    assert 'class="workshop"' in html
    assert 'role="group"' in html  # links inside: a labelled group, not an opaque image
    assert 'aria-label="Map of 1 workshop, 1 carrier, 1 customer"' in html


def test_svg_has_view_box_basemap_and_labels():
    the_map = network_map([MapPoint(52.52, 13.405, "Berlin")])
    html = _render(the_map)
    assert re.search(
        r'<svg class="network-map" id="map-[0-9a-f]{8}" viewBox="0 0 1000 [\d.]+"', html
    )
    assert 'role="img"' in html
    assert (
        f'<image class="basemap" href="/network/basemap/{the_map.basemap_key}.svg" x="0" y="0" '
        f'width="1000" height="{the_map.height:g}"'
    ) in html
    assert '<text class="label"' in html
    assert ">Berlin</text>" in html


def test_routes_get_paths_with_arrow_markers_and_tooltips():
    a = MapPoint(48.7758, 9.1829, "Stuttgart")
    b = MapPoint(51.4416, 5.4697, "Eindhoven")
    the_map = network_map([a, b], [MapLine.between(a, b, "Milling → <anodizing>")])
    html = _render(the_map)
    assert html.count('class="route"') == 1
    assert f'marker-end="url(#{the_map.dom_id}-arrow)"' in html
    assert f'<marker id="{the_map.dom_id}-arrow"' in html
    assert "<title>Milling → &lt;anodizing&gt;</title>" in html


def test_a_map_without_routes_has_no_marker():
    html = _render(network_map([MapPoint(52.52, 13.405, "Berlin")]))
    assert "<marker" not in html
    assert 'class="route"' not in html
