"""A round spacer or standoff: a tube of given outer and bore diameters."""

from __future__ import annotations

import math

from .base import Param, Template, Values


def _check(v: Values) -> dict[str, str]:
    if v["bore_diameter"] >= v["outer_diameter"]:
        return {"bore_diameter": "The bore must be narrower than the outer diameter."}
    return {}


def _build(v: Values):
    from .. import solids

    tube = solids.cylinder(0, 0, 0, diameter=v["outer_diameter"], height=v["length"])
    if v["bore_diameter"] == 0:
        return tube
    bore = solids.cylinder(0, 0, -1, diameter=v["bore_diameter"], height=v["length"] + 2)
    return solids.cut(tube, bore)


SPACER = Template(
    key="spacer",
    name="Round spacer",
    description="A spacer or standoff: a round tube for a screw, or solid with no bore.",
    params=(
        Param("outer_diameter", "Outer diameter", "mm", 2, 300, 10, "Outside diameter."),
        Param("bore_diameter", "Bore diameter", "mm", 0, 290, 5.3, "Hole for the screw; 0: solid."),
        Param("length", "Length", "mm", 0.5, 500, 15, "Length along the axis."),
    ),
    check=_check,
    volume_mm3=lambda v: (
        math.pi / 4 * (v["outer_diameter"] ** 2 - v["bore_diameter"] ** 2) * v["length"]
    ),
    pieces_mm=lambda v: [(v["outer_diameter"], v["outer_diameter"], v["length"])],
    walls_mm=lambda v: {"bore_diameter": (v["outer_diameter"] - v["bore_diameter"]) / 2},
    holes_mm=lambda v: {"bore_diameter": v["bore_diameter"]} if v["bore_diameter"] else {},
    build=_build,
)
