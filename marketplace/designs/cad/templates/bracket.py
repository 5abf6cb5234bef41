"""An L-bracket: two legs at a right angle, an even bend (inner and outer fillet), holes."""

from __future__ import annotations

import math

from .base import Param, Template, Values

CORNER = 1 - math.pi / 4  # the area a fillet of radius 1 adds to (or takes from) a corner


def _flat(v: Values, leg: str) -> float:
    """The flat length of a leg, from the end of the bend to its end."""
    return v[leg] - v["thickness"] - v["bend_radius"]


def _count(v: Values) -> int:
    return int(v["holes_per_leg"])


def _check(v: Values) -> dict[str, str]:
    errors: dict[str, str] = {}
    for leg, label in (("base_length", "base"), ("upright_height", "upright")):
        if _flat(v, leg) <= 0:
            errors[leg] = (
                f"The {label} leg must be longer than the thickness plus the bend radius "
                f"({v['thickness'] + v['bend_radius']:g} mm)."
            )
    if errors or _count(v) == 0:
        return errors
    d = v["hole_diameter"]
    if d >= min(_flat(v, "base_length"), _flat(v, "upright_height")):
        errors["hole_diameter"] = (
            f"A {d:g} mm hole does not fit on the flat part of a leg "
            f"({min(_flat(v, 'base_length'), _flat(v, 'upright_height')):.3g} mm)."
        )
    elif v["width"] / _count(v) <= d:
        errors["holes_per_leg"] = (
            f"{_count(v)} holes of {d:g} mm do not fit side by side in {v['width']:g} mm."
        )
    return errors


def _volume(v: Values) -> float:
    t, r = v["thickness"], v["bend_radius"]
    section = v["base_length"] * t + (v["upright_height"] - t) * t
    section += CORNER * r**2 - CORNER * (r + t) ** 2
    holes = 2 * _count(v) * math.pi * v["hole_diameter"] ** 2 / 4 * t
    return section * v["width"] - holes


def _flat_blank(v: Values) -> tuple[float, float, float]:
    """The blank before bending: both flat lengths plus the bend along its mid-surface
    (K factor 0.5), by the width, by the thickness."""
    t, r = v["thickness"], v["bend_radius"]
    bend = math.pi / 2 * (r + t / 2)
    return (_flat(v, "base_length") + _flat(v, "upright_height") + bend, v["width"], t)


def _walls(v: Values) -> dict[str, float]:
    walls = {"thickness": v["thickness"]}
    if _count(v):
        d = v["hole_diameter"]
        walls["hole_diameter"] = min(_flat(v, "base_length"), _flat(v, "upright_height")) / 2
        walls["hole_diameter"] -= d / 2
        walls["holes_per_leg"] = v["width"] / _count(v) - d
    return walls


def _build(v: Values):
    from .. import solids

    t, r, w = v["thickness"], v["bend_radius"], v["width"]
    a, b = v["base_length"], v["upright_height"]
    body = solids.fuse(solids.box(0, 0, 0, a, w, t), solids.box(0, 0, 0, t, w, b))

    def along_y_at(x: float, z: float):
        return lambda p, q: all(abs(c[0] - x) < 1e-7 and abs(c[2] - z) < 1e-7 for c in (p, q))

    body = solids.fillet(body, r, along_y_at(t, t))  # inside of the bend
    body = solids.fillet(body, r + t, along_y_at(0, 0))  # outside, concentric
    d, n = v["hole_diameter"], _count(v)
    holes = []
    for i in range(n):
        y = w * (i + 0.5) / n
        holes.append(solids.cylinder((t + r + a) / 2, y, -1, diameter=d, height=t + 2))
        holes.append(solids.cylinder(-1, y, (t + r + b) / 2, diameter=d, height=t + 2, axis="x"))
    return solids.cut(body, *holes)


BRACKET = Template(
    key="bracket",
    name="L-bracket",
    description="Two legs at a right angle with an even bend and a row of holes in each leg.",
    params=(
        Param("base_length", "Base leg length", "mm", 5, 500, 60, "Outer length of the base."),
        Param(
            "upright_height", "Upright leg height", "mm", 5, 500, 40, "Outer height of the upright."
        ),
        Param("width", "Width", "mm", 5, 500, 30, "Width of both legs."),
        Param("thickness", "Thickness", "mm", 0.5, 20, 3, "Material (sheet) thickness."),
        Param(
            "bend_radius",
            "Inner bend radius",
            "mm",
            0.5,
            50,
            3,
            "Radius inside the bend; the outside is rounded by this plus the thickness.",
        ),
        Param("hole_diameter", "Hole diameter", "mm", 0.5, 100, 6, "Diameter of every hole."),
        Param("holes_per_leg", "Holes per leg", "count", 0, 6, 2, "0: no holes.", True),
    ),
    check=_check,
    volume_mm3=_volume,
    pieces_mm=lambda v: [(v["base_length"], v["width"], v["upright_height"])],
    walls_mm=_walls,
    holes_mm=lambda v: {"hole_diameter": v["hole_diameter"]} if _count(v) else {},
    build=_build,
    sheet=("thickness", "bend_radius"),
    flat_mm=_flat_blank,
)
