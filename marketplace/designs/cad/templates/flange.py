"""A round flange: a disc with a bore, a hub, and bolt holes on a circle."""

from __future__ import annotations

import math

from .base import Param, Template, Values


def _check(v: Values) -> dict[str, str]:
    errors: dict[str, str] = {}
    outer, bore, hub = v["outer_diameter"], v["bore_diameter"], v["hub_diameter"]
    circle, hole, n = v["bolt_circle_diameter"], v["bolt_hole_diameter"], int(v["bolt_count"])
    if hub >= outer:
        errors["hub_diameter"] = "The hub must be narrower than the flange."
    if bore >= hub:
        errors["bore_diameter"] = "The bore must be narrower than the hub."
    if circle / 2 - hole / 2 <= hub / 2:
        errors["bolt_circle_diameter"] = (
            f"Bolt holes of {hole:g} mm on a {circle:g} mm circle cut into the "
            f"{hub:g} mm hub: widen the circle."
        )
    elif circle / 2 + hole / 2 >= outer / 2:
        errors["bolt_circle_diameter"] = (
            f"Bolt holes of {hole:g} mm on a {circle:g} mm circle break out of the "
            f"{outer:g} mm flange: narrow the circle."
        )
    elif circle * math.sin(math.pi / n) <= hole:
        errors["bolt_count"] = f"{n} bolt holes of {hole:g} mm overlap on that circle."
    return errors


def _volume(v: Values) -> float:
    area = math.pi / 4
    disc = area * (v["outer_diameter"] ** 2 - v["bore_diameter"] ** 2) * v["thickness"]
    hub = area * (v["hub_diameter"] ** 2 - v["bore_diameter"] ** 2) * v["hub_height"]
    bolts = int(v["bolt_count"]) * area * v["bolt_hole_diameter"] ** 2 * v["thickness"]
    return disc + hub - bolts


def _walls(v: Values) -> dict[str, float]:
    circle, hole = v["bolt_circle_diameter"], v["bolt_hole_diameter"]
    walls = {
        "thickness": v["thickness"],
        "bolt_circle_diameter": min(
            (v["outer_diameter"] - circle - hole) / 2, (circle - hole - v["hub_diameter"]) / 2
        ),
        "bolt_count": circle * math.sin(math.pi / int(v["bolt_count"])) - hole,
    }
    if v["hub_height"] > 0:
        walls["hub_diameter"] = (v["hub_diameter"] - v["bore_diameter"]) / 2
    return walls


def _build(v: Values):
    from .. import solids

    t, hub_height = v["thickness"], v["hub_height"]
    body = solids.cylinder(0, 0, 0, diameter=v["outer_diameter"], height=t)
    if hub_height > 0:
        hub = solids.cylinder(0, 0, t, diameter=v["hub_diameter"], height=hub_height)
        body = solids.fuse(body, hub)
    cuts = [solids.cylinder(0, 0, -1, diameter=v["bore_diameter"], height=t + hub_height + 2)]
    n, radius = int(v["bolt_count"]), v["bolt_circle_diameter"] / 2
    for i in range(n):
        angle = 2 * math.pi * i / n
        x, y = radius * math.cos(angle), radius * math.sin(angle)
        cuts.append(solids.cylinder(x, y, -1, diameter=v["bolt_hole_diameter"], height=t + 2))
    return solids.cut(body, *cuts)


FLANGE = Template(
    key="flange",
    name="Flange",
    description="A round flange with a centre bore, a raised hub and bolt holes on a circle.",
    params=(
        Param("outer_diameter", "Outer diameter", "mm", 20, 800, 120, "Diameter of the disc."),
        Param("thickness", "Thickness", "mm", 1, 100, 12, "Thickness of the disc."),
        Param("bore_diameter", "Bore diameter", "mm", 1, 700, 40, "Centre hole through all."),
        Param("hub_diameter", "Hub diameter", "mm", 2, 780, 60, "Diameter of the raised hub."),
        Param("hub_height", "Hub height", "mm", 0, 200, 10, "Height above the disc; 0: no hub."),
        Param(
            "bolt_circle_diameter",
            "Bolt circle diameter",
            "mm",
            5,
            790,
            90,
            "Diameter of the circle through the bolt hole centres.",
        ),
        Param("bolt_hole_diameter", "Bolt hole diameter", "mm", 1, 100, 9, "e.g. 9 for M8."),
        Param("bolt_count", "Bolt holes", "count", 2, 24, 4, "How many bolt holes.", True),
    ),
    check=_check,
    volume_mm3=_volume,
    pieces_mm=lambda v: [
        (v["outer_diameter"], v["outer_diameter"], v["thickness"] + v["hub_height"])
    ],
    walls_mm=_walls,
    holes_mm=lambda v: {
        "bolt_hole_diameter": v["bolt_hole_diameter"],
        "bore_diameter": v["bore_diameter"],
    },
    build=_build,
)
