"""A stepped shaft: three coaxial cylinders of their own diameters and lengths."""

from __future__ import annotations

import math

from .base import Param, Template, Values

STEPS = (1, 2, 3)


def _build(v: Values):
    from .. import solids

    z = 0.0
    pieces = []
    for i in STEPS:
        length = v[f"length_{i}"]
        pieces.append(solids.cylinder(0, 0, z, diameter=v[f"diameter_{i}"], height=length))
        z += length
    return solids.fuse(*pieces)


def _params():
    defaults = {1: (20.0, 30.0), 2: (30.0, 50.0), 3: (16.0, 25.0)}
    for i in STEPS:
        diameter, length = defaults[i]
        yield Param(
            f"diameter_{i}", f"Step {i} diameter", "mm", 1, 300, diameter, f"Diameter of step {i}."
        )
        yield Param(
            f"length_{i}", f"Step {i} length", "mm", 1, 1000, length, f"Length of step {i}."
        )


SHAFT = Template(
    key="shaft",
    name="Stepped shaft",
    description="A turned shaft of three steps, each with its own diameter and length.",
    params=tuple(_params()),
    check=lambda v: {},
    volume_mm3=lambda v: sum(
        math.pi / 4 * v[f"diameter_{i}"] ** 2 * v[f"length_{i}"] for i in STEPS
    ),
    pieces_mm=lambda v: [
        (
            max(v[f"diameter_{i}"] for i in STEPS),
            max(v[f"diameter_{i}"] for i in STEPS),
            sum(v[f"length_{i}"] for i in STEPS),
        )
    ],
    walls_mm=lambda v: {
        min((f"diameter_{i}" for i in STEPS), key=lambda name: v[name]): min(
            v[f"diameter_{i}"] for i in STEPS
        )
    },
    holes_mm=lambda v: {},
    build=_build,
)
