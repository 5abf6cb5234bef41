"""A flat plate with a grid of through holes and optionally rounded corners."""

from __future__ import annotations

import math

from .base import Param, Template, Values


def _centres(v: Values) -> list[tuple[float, float]]:
    """Hole centres: a grid `holes_x` by `holes_y`, `edge_margin` from the edges."""

    def line(count: int, length: float, margin: float) -> list[float]:
        if count == 1:
            return [length / 2]
        step = (length - 2 * margin) / (count - 1)
        return [margin + i * step for i in range(count)]

    nx, ny = int(v["holes_x"]), int(v["holes_y"])
    if nx == 0 or ny == 0:
        return []
    xs = line(nx, v["length"], v["edge_margin"])
    ys = line(ny, v["width"], v["edge_margin"])
    return [(x, y) for x in xs for y in ys]


def _pitch(count: int, length: float, margin: float) -> float:
    return math.inf if count < 2 else (length - 2 * margin) / (count - 1)


def _edges(v: Values) -> tuple[float, float]:
    """From the edges to the outer hole centres, along x and along y: the edge margin, or half
    the side where a single hole sits in the middle (the margin does not place it)."""
    return (
        v["length"] / 2 if int(v["holes_x"]) == 1 else v["edge_margin"],
        v["width"] / 2 if int(v["holes_y"]) == 1 else v["edge_margin"],
    )


def _check(v: Values) -> dict[str, str]:
    errors: dict[str, str] = {}
    r, d, e = v["corner_radius"], v["hole_diameter"], v["edge_margin"]
    shorter = min(v["length"], v["width"])
    if 2 * r >= shorter:  # at half the side no straight edge is left to round
        errors["corner_radius"] = (
            f"The corner radius must be less than half the plate's width ({shorter / 2:g} mm)."
        )
    if not _centres(v):
        return errors
    if (int(v["holes_x"]) > 1 or int(v["holes_y"]) > 1) and e - d / 2 <= 0:
        errors["edge_margin"] = (
            f"Holes {d:g} mm across need their centres more than {d / 2:g} mm from the edge."
        )
    for count, side, label in (
        (v["holes_x"], v["length"], "length"),
        (v["holes_y"], v["width"], "width"),
    ):
        if int(count) == 1 and d >= side:
            errors["hole_diameter"] = (
                f"A hole {d:g} mm across does not fit in the {side:g} mm {label}."
            )
    pitch = min(_pitch(int(v["holes_x"]), v["length"], e), _pitch(int(v["holes_y"]), v["width"], e))
    if pitch <= d:
        errors["hole_diameter"] = (
            f"Holes {d:g} mm across, {pitch:.3g} mm apart, would run into each other."
        )
    ex, ey = _edges(v)
    if r > 0 and ex < r and ey < r and math.hypot(r - ex, r - ey) >= r - d / 2:
        errors["corner_radius"] = "The rounded corners would cut into the corner holes."
    return errors


def _volume(v: Values) -> float:
    r = v["corner_radius"]
    outline = v["length"] * v["width"] - (4 - math.pi) * r**2
    holes = len(_centres(v)) * math.pi * v["hole_diameter"] ** 2 / 4
    return (outline - holes) * v["thickness"]


def _walls(v: Values) -> dict[str, float]:
    walls = {"thickness": v["thickness"]}
    if _centres(v):
        e, d = v["edge_margin"], v["hole_diameter"]
        nx, ny = int(v["holes_x"]), int(v["holes_y"])
        if nx > 1 or ny > 1:
            walls["edge_margin"] = e - d / 2
        ligaments = [
            side / 2 - d / 2 for n, side in ((nx, v["length"]), (ny, v["width"])) if n == 1
        ]
        pitch = min(_pitch(nx, v["length"], e), _pitch(ny, v["width"], e))
        if math.isfinite(pitch):
            ligaments.append(pitch - d)
        if ligaments:
            walls["hole_diameter"] = min(ligaments)
    return walls


def _build(v: Values):
    from .. import solids

    plate = solids.box(0, 0, 0, v["length"], v["width"], v["thickness"])
    r = v["corner_radius"]
    if r > 0:
        length, width = v["length"], v["width"]

        def vertical_corner(a, b) -> bool:
            return (
                abs(a[0] - b[0]) < 1e-9
                and abs(a[1] - b[1]) < 1e-9
                and a[0] in (0.0, length)
                and a[1] in (0.0, width)
            )

        plate = solids.fillet(plate, r, vertical_corner)
    holes = [
        solids.cylinder(x, y, -1, diameter=v["hole_diameter"], height=v["thickness"] + 2)
        for x, y in _centres(v)
    ]
    return solids.cut(plate, *holes)


PLATE = Template(
    key="plate",
    name="Plate with holes",
    description="A flat plate with a grid of through holes: a base, a cover, a mounting plate.",
    params=(
        Param("length", "Length", "mm", 10, 1000, 100, "Outer length along x."),
        Param("width", "Width", "mm", 10, 1000, 50, "Outer width along y."),
        Param("thickness", "Thickness", "mm", 0.5, 50, 5, "Plate or sheet thickness."),
        Param("hole_diameter", "Hole diameter", "mm", 0.5, 100, 6, "Diameter of every hole."),
        Param("holes_x", "Holes along the length", "count", 0, 10, 2, "0: no holes.", True),
        Param("holes_y", "Holes along the width", "count", 0, 10, 2, "0: no holes.", True),
        Param(
            "edge_margin",
            "Edge margin",
            "mm",
            1,
            200,
            10,
            "Distance from the plate's edge to the centre of the outer holes.",
        ),
        Param("corner_radius", "Corner radius", "mm", 0, 100, 0, "0: square corners."),
    ),
    check=_check,
    volume_mm3=_volume,
    pieces_mm=lambda v: [(v["length"], v["width"], v["thickness"])],
    walls_mm=_walls,
    holes_mm=lambda v: {"hole_diameter": v["hole_diameter"]} if _centres(v) else {},
    build=_build,
    sheet=("thickness", None),
    flat_mm=lambda v: (v["length"], v["width"], v["thickness"]),
)
