"""Benchmark of the network map: the 28-workshop Europe map of the demo, rendered to SVG.

Run from the repository root: ``python benchmarks/bench_map.py [--repeat N]``. Measures, in
this process:

- ``decode``: reading and decoding the world-atlas 50m TopoJSON (once per process in the
  site, cached by ``load_countries``);
- ``uncached map``: ``network_map`` with an empty basemap cache (projection, clipping and
  simplifying the coastlines, placing the labels);
- ``cached map``: the same call again, the basemap coming from the cache: the in-run baseline,
  what every page after the first pays;
- ``template``: rendering ``marketplace/_network_map.html`` to the inline SVG the pages carry
  (dots, labels, routes and the basemap's address);
- ``basemap document``: the outlines as the SVG document ``/network/basemap/<key>.svg`` serves
  (once per view and process; browsers keep it).

Each figure is the median of ``--repeat`` runs (caches cleared before each uncached run).
Prints a markdown table, the SVG size and the ratio of uncached to cached map.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.template.loader import render_to_string  # noqa: E402
from django.urls import reverse  # noqa: E402

from marketplace.demo.catalog import WORKSHOPS  # noqa: E402
from marketplace.network.basemap import (  # noqa: E402
    MapProjection,
    _basemap,
    basemap_svg,
    load_countries,
)
from marketplace.network.geo import MapPoint, network_map  # noqa: E402

TEMPLATE = "marketplace/_network_map.html"


def europe_points() -> list[MapPoint]:
    """The demo's workshops, as the network page shows them."""
    return [
        MapPoint(float(w[3]), float(w[4]), w[1], url=f"/workshops/{i}/", title=w[0])
        for i, w in enumerate(WORKSHOPS)
    ]


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def measure(points: list[MapPoint]) -> dict[str, float | int]:
    load_countries.cache_clear()
    _basemap.cache_clear()
    decode, _ = timed(load_countries)
    cold, _ = timed(lambda: network_map(points))
    warm, the_map = timed(lambda: network_map(points))
    render, svg = timed(lambda: render_to_string(TEMPLATE, {"map": the_map}))
    basemap_svg.cache_clear()
    document, outlines = timed(lambda: basemap_svg(MapProjection.from_key(the_map.basemap_key)))
    return {
        "decode": decode,
        "uncached map": cold,
        "cached map": warm,
        "template": render,
        "basemap document": document,
        "basemap_bytes": len(outlines.encode()),
        "svg_bytes": len(str(svg).encode()),
        "countries": len(the_map.countries),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    args = parser.parse_args()

    points = europe_points()
    reverse("network")  # the URL conf loads once, outside the template's figure
    runs = [measure(points) for _ in range(max(1, args.repeat))]
    sizes = {run["svg_bytes"] for run in runs}
    if len(sizes) != 1:
        print(f"the SVG differs between runs: {sorted(sizes)} bytes", file=sys.stderr)
        return 1

    print(f"## Network map: {len(points)}-point Europe map, median of {len(runs)} runs\n")
    print("| step | ms |")
    print("| --- | ---: |")
    for step in ("decode", "uncached map", "cached map", "template", "basemap document"):
        print(f"| {step} | {statistics.median(r[step] for r in runs) * 1000:.2f} |")
    cold = statistics.median(r["uncached map"] for r in runs)
    warm = statistics.median(r["cached map"] for r in runs)
    svg_bytes = runs[0]["svg_bytes"]
    print(
        f"\nSVG: {svg_bytes:,} bytes ({svg_bytes / 1024:.1f} KiB), {runs[0]['countries']} "
        f"countries; the uncached map takes {cold / warm:.0f}x the cached one (baseline)."
    )
    print(
        f"Basemap document (fetched once per view and cached by browsers): "
        f"{runs[0]['basemap_bytes']:,} bytes."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
