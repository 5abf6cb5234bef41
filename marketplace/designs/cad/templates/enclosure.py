"""An enclosure: an open box with four screw bosses inside, and its lid beside it."""

from __future__ import annotations

import math

from .base import Param, Template, Values

LID_GAP = 10.0  # mm between the box and the lid laid beside it
BOSS_CLEARANCE = 0.5  # mm: a boss stands free of the walls by at least this


def _boss_centres(v: Values) -> list[tuple[float, float]]:
    inset = v["wall"] + v["boss_inset"]
    xs = (inset, v["length"] - inset)
    ys = (inset, v["width"] - inset)
    return [(x, y) for x in xs for y in ys]


def _check(v: Values) -> dict[str, str]:
    errors: dict[str, str] = {}
    wall, boss, hole = v["wall"], v["boss_diameter"], v["screw_hole_diameter"]
    if v["height"] <= wall + 1:
        errors["height"] = f"The box must be taller than its floor ({wall:g} mm) plus 1 mm."
    if hole >= boss:
        errors["screw_hole_diameter"] = "The screw hole must be narrower than the boss."
    if v["boss_inset"] < boss / 2 + BOSS_CLEARANCE:
        errors["boss_inset"] = (
            f"Bosses {boss:g} mm across need their centres at least "
            f"{boss / 2 + BOSS_CLEARANCE:g} mm from the inside of the wall."
        )
    inner = min(v["length"], v["width"]) - 2 * wall
    if inner - 2 * v["boss_inset"] <= boss:
        errors["boss_inset"] = "The bosses would run into each other: the box is too small."
    return errors


def _volume(v: Values) -> float:
    length, width, height, wall = v["length"], v["width"], v["height"], v["wall"]
    shell = length * width * height - (length - 2 * wall) * (width - 2 * wall) * (height - wall)
    disc = math.pi / 4
    bosses = 4 * disc * (v["boss_diameter"] ** 2 - v["screw_hole_diameter"] ** 2) * (height - wall)
    lid = (length * width - 4 * disc * v["screw_hole_diameter"] ** 2) * v["lid_thickness"]
    return shell + bosses + lid


def _build(v: Values):
    from .. import solids

    length, width, height, wall = v["length"], v["width"], v["height"], v["wall"]
    body = solids.cut(
        solids.box(0, 0, 0, length, width, height),
        solids.box(wall, wall, wall, length - 2 * wall, width - 2 * wall, height),
    )
    centres = _boss_centres(v)
    rise = height - wall
    bosses = [
        solids.cylinder(x, y, wall, diameter=v["boss_diameter"], height=rise) for x, y in centres
    ]
    body = solids.fuse(body, *bosses)
    screw = v["screw_hole_diameter"]
    body = solids.cut(
        body, *(solids.cylinder(x, y, wall, diameter=screw, height=rise + 1) for x, y in centres)
    )
    lid_thickness = v["lid_thickness"]
    lid = solids.cut(
        solids.box(0, 0, 0, length, width, lid_thickness),
        *(solids.cylinder(x, y, -1, diameter=screw, height=lid_thickness + 2) for x, y in centres),
    )
    return solids.compound(body, solids.moved(lid, length + LID_GAP, 0, 0))


ENCLOSURE = Template(
    key="enclosure",
    name="Enclosure with lid",
    description="An open box with four screw bosses inside and a flat lid with matching holes.",
    params=(
        Param("length", "Length", "mm", 20, 600, 120, "Outer length of box and lid."),
        Param("width", "Width", "mm", 20, 600, 80, "Outer width of box and lid."),
        Param("height", "Height", "mm", 5, 400, 40, "Outer height of the box without lid."),
        Param("wall", "Wall thickness", "mm", 0.5, 20, 2.5, "Walls and floor."),
        Param("lid_thickness", "Lid thickness", "mm", 0.5, 20, 3, "Thickness of the lid."),
        Param("boss_diameter", "Boss diameter", "mm", 2, 40, 8, "Outer diameter of the bosses."),
        Param(
            "screw_hole_diameter",
            "Screw hole diameter",
            "mm",
            0.5,
            30,
            3.2,
            "Hole in the bosses (blind, to the floor) and through the lid.",
        ),
        Param(
            "boss_inset",
            "Boss inset",
            "mm",
            1,
            200,
            6,
            "Distance from the inside of the walls to the centre of each boss.",
        ),
    ),
    check=_check,
    volume_mm3=_volume,
    pieces_mm=lambda v: [
        (v["length"], v["width"], v["height"]),
        (v["length"], v["width"], v["lid_thickness"]),
    ],
    walls_mm=lambda v: {
        "wall": v["wall"],
        "lid_thickness": v["lid_thickness"],
        "screw_hole_diameter": (v["boss_diameter"] - v["screw_hole_diameter"]) / 2,
    },
    holes_mm=lambda v: {"screw_hole_diameter": v["screw_hole_diameter"]},
    build=_build,
    solids=2,
)
