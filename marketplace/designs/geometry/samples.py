"""Demo parts for the seeded marketplace, built procedurally (no boolean engine needed).

Neither manifold3d nor shapely is installed, so parts are 2D triangulations we build
ourselves (tiles with round holes, star-shaped outlines), extruded by trimesh, and, for the
bracket, bent. Every part is a closed solid in millimetres, returned as binary STL bytes.
"""

from __future__ import annotations

import math

import numpy as np

from .mesh import Mesh, mesh_from_arrays, stl_bytes

SEGMENTS_PER_SIDE = 8  # per tile side: 32 segments around each hole


def _tile_square(x0: float, y0: float, size: float, k: int) -> np.ndarray:
    """Points around a square tile, counter-clockwise, k per side, first corner first."""
    t = np.arange(k) / k
    sides = [
        np.column_stack([x0 + size * t, np.full(k, y0)]),
        np.column_stack([np.full(k, x0 + size), y0 + size * t]),
        np.column_stack([x0 + size * (1 - t), np.full(k, y0 + size)]),
        np.column_stack([np.full(k, x0), y0 + size * (1 - t)]),
    ]
    return np.vstack(sides)


def tiled_outline(
    cells: set[tuple[int, int]],
    tile: float,
    holes: dict[tuple[int, int], float] | None = None,
    k: int = SEGMENTS_PER_SIDE,
) -> tuple[np.ndarray, np.ndarray]:
    """Triangulate a union of square tiles, some with a centred round hole of given radius.

    Neighbouring tiles share the same points along their common side, so after merging the
    triangulation is one conforming sheet; a holed tile is a strip between its square and
    its circle, which needs no general polygon triangulator.
    """
    holes = holes or {}
    points: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    offset = 0
    m = 4 * k
    idx = np.arange(m)
    nxt = (idx + 1) % m
    for i, j in sorted(cells):
        x0, y0 = i * tile, j * tile
        ring = _tile_square(x0, y0, tile, k)
        centre = np.array([x0 + tile / 2, y0 + tile / 2])
        radius = holes.get((i, j))
        if radius:
            angles = np.arctan2(ring[:, 1] - centre[1], ring[:, 0] - centre[0])
            inner = centre + radius * np.column_stack([np.cos(angles), np.sin(angles)])
            points += [ring, inner]
            outer_i, inner_i = offset + idx, offset + m + idx
            outer_n, inner_n = offset + nxt, offset + m + nxt
            faces.append(np.column_stack([outer_i, outer_n, inner_i]))
            faces.append(np.column_stack([inner_i, outer_n, inner_n]))
            offset += 2 * m
        else:
            points += [ring, centre[None, :]]
            faces.append(np.column_stack([np.full(m, offset + m), offset + idx, offset + nxt]))
            offset += m + 1
    vertices = np.vstack(points)
    tri = np.vstack(faces)
    # Merge the shared tile sides (rounded to 1e-9 mm) so the sheet has a single boundary.
    key = np.round(vertices, 9)
    unique, inverse = np.unique(key, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1)[tri]


def _extrude(vertices2d: np.ndarray, faces: np.ndarray, height: float) -> Mesh:
    import trimesh

    solid = trimesh.creation.extrude_triangulation(vertices2d, faces, height)
    return mesh_from_arrays(solid.vertices, solid.faces)


def _subdivide(mesh: Mesh, max_edge: float) -> Mesh:
    from trimesh.remesh import subdivide_to_size

    vertices, faces = subdivide_to_size(mesh.vertices, mesh.faces, max_edge=max_edge)
    return mesh_from_arrays(vertices, faces)


def extrude_cells(
    cells: set[tuple[int, int]],
    tile: float,
    height: float,
    holes: dict[tuple[int, int], float] | None = None,
) -> Mesh:
    """A prism over a union of tiles: plates with holes, T and L profiles for tests."""
    vertices, faces = tiled_outline(cells, tile, holes)
    return _extrude(vertices, faces, height)


def plate_mesh(
    width_tiles: int = 6, depth_tiles: int = 4, tile: float = 20.0, thickness: float = 5.0
) -> Mesh:
    """A base plate with a mounting hole in each corner tile."""
    cells = {(i, j) for i in range(width_tiles) for j in range(depth_tiles)}
    corners = {
        (0, 0),
        (width_tiles - 1, 0),
        (0, depth_tiles - 1),
        (width_tiles - 1, depth_tiles - 1),
    }
    return extrude_cells(cells, tile, thickness, dict.fromkeys(corners, tile * 0.25))


def bracket_mesh(
    tile: float = 15.0,
    thickness: float = 4.0,
    bend_radius: float = 4.0,
    base_tiles: int = 3,
    upright_tiles: int = 3,
    width_tiles: int = 2,
) -> Mesh:
    """An L bracket with holes in both flanges: a holed strip, extruded, then bent 90 degrees.

    The bend maps the flat solid continuously and one-to-one, so it stays closed.
    """
    length_tiles = base_tiles + upright_tiles
    cells = {(i, j) for i in range(length_tiles) for j in range(width_tiles)}
    holes = {(i, j): tile * 0.2 for i in (0, length_tiles - 1) for j in range(width_tiles)}
    vertices, faces = tiled_outline(cells, tile, holes, k=12)
    flat = _extrude(vertices, faces, thickness)
    flat = _subdivide(flat, max_edge=thickness / 2)  # fine enough to follow the bend
    x0 = base_tiles * tile  # the bend starts here
    mid = bend_radius + thickness / 2
    arc = math.pi / 2 * mid
    v = flat.vertices.copy()
    x, z = v[:, 0], v[:, 2]
    beyond = x > x0
    s = x[beyond] - x0
    r = bend_radius + thickness - z[beyond]  # the bottom face is the outside of the bend
    phi = np.minimum(s / mid, math.pi / 2)
    extra = np.maximum(s - arc, 0.0)
    v[beyond, 0] = x0 + r * np.sin(phi)
    v[beyond, 2] = thickness + bend_radius - r * np.cos(phi) + extra
    return Mesh(v, flat.faces)


def enclosure_mesh(
    size: tuple[float, float, float] = (80.0, 60.0, 35.0), wall: float = 2.0, floor: float = 2.0
) -> Mesh:
    """An open-topped box (a housing shell): outer box minus an inner pocket, built directly."""
    x, y, z = size
    w, f = wall, floor
    outer = np.array(
        [[0, 0, 0], [x, 0, 0], [x, y, 0], [0, y, 0], [0, 0, z], [x, 0, z], [x, y, z], [0, y, z]],
        dtype=float,
    )
    inner = np.array(
        [
            [w, w, f],
            [x - w, w, f],
            [x - w, y - w, f],
            [w, y - w, f],
            [w, w, z],
            [x - w, w, z],
            [x - w, y - w, z],
            [w, y - w, z],
        ],
        dtype=float,
    )
    vertices = np.vstack([outer, inner])
    quads = [
        (0, 3, 2, 1),  # outer bottom, facing down
        (0, 1, 5, 4),  # outer sides, facing out
        (1, 2, 6, 5),
        (2, 3, 7, 6),
        (3, 0, 4, 7),
        (4, 5, 13, 12),  # rim between the outer and inner top edges, facing up
        (5, 6, 14, 13),
        (6, 7, 15, 14),
        (7, 4, 12, 15),
        (8, 12, 13, 9),  # inner walls, facing into the pocket
        (9, 13, 14, 10),
        (10, 14, 15, 11),
        (11, 15, 12, 8),
        (8, 9, 10, 11),  # pocket floor, facing up
    ]
    faces = np.array([[a, b, c] for a, b, c, d in quads] + [[a, c, d] for a, b, c, d in quads])
    return Mesh(vertices, faces)


def gear_mesh(
    teeth: int = 18,
    module: float = 2.0,
    thickness: float = 8.0,
    bore: float = 8.0,
    samples_per_tooth: int = 16,
) -> Mesh:
    """A spur-gear-like disc: trapezoidal teeth around a round bore (not an involute)."""
    pitch_r = module * teeth / 2
    tip_r, root_r = pitch_r + module, pitch_r - 1.25 * module
    n = teeth * samples_per_tooth
    theta = np.arange(n) / n * 2 * math.pi
    phase = (theta * teeth / (2 * math.pi)) % 1.0  # 0..1 across one tooth
    # Trapezoid: rise 0-0.15, tip 0.15-0.45, fall 0.45-0.6, root 0.6-1.
    profile = np.interp(phase, [0, 0.15, 0.45, 0.6, 1.0], [0, 1, 1, 0, 0])
    radius = root_r + (tip_r - root_r) * profile
    outer = np.column_stack([radius * np.cos(theta), radius * np.sin(theta)])
    inner = bore / 2 * np.column_stack([np.cos(theta), np.sin(theta)])
    idx = np.arange(n)
    nxt = (idx + 1) % n
    faces = np.vstack(
        [np.column_stack([idx, nxt, n + idx]), np.column_stack([n + idx, nxt, n + nxt])]
    )
    return _extrude(np.vstack([outer, inner]), faces, thickness)


def shaft_mesh(radius: float = 4.0, length: float = 60.0) -> Mesh:
    import trimesh

    solid = trimesh.creation.cylinder(radius=radius, height=length, sections=64)
    solid.apply_translation([0, 0, length / 2])
    return mesh_from_arrays(solid.vertices, solid.faces)


def spacer_mesh(inner: float = 4.2, outer: float = 7.0, height: float = 6.0) -> Mesh:
    import trimesh

    solid = trimesh.creation.annulus(r_min=inner, r_max=outer, height=height, sections=64)
    solid.apply_translation([0, 0, height / 2])
    return mesh_from_arrays(solid.vertices, solid.faces)


def bracket() -> bytes:
    """L bracket, 45 x 30 mm flanges, 4 mm thick, two holes in each flange."""
    return stl_bytes(bracket_mesh(), b"Cloud Factory sample: L bracket (mm)")


def enclosure() -> bytes:
    """Open housing 80 x 60 x 35 mm with 2 mm walls."""
    return stl_bytes(enclosure_mesh(), b"Cloud Factory sample: enclosure (mm)")


def gear() -> bytes:
    """18-tooth gear-like disc, module 2, 8 mm thick, 8 mm bore."""
    return stl_bytes(gear_mesh(), b"Cloud Factory sample: gear (mm)")


def assembly() -> dict[str, bytes]:
    """A small gearbox kit: base plate, bracket, gear, shaft and spacer, one STL each."""
    parts = {
        "base_plate": plate_mesh(),
        "bracket": bracket_mesh(),
        "gear": gear_mesh(),
        "shaft": shaft_mesh(),
        "spacer": spacer_mesh(),
    }
    return {
        name: stl_bytes(mesh, f"Cloud Factory sample: {name} (mm)".encode())
        for name, mesh in parts.items()
    }


def all_samples() -> dict[str, bytes]:
    """Every demo part by file name, for seeding."""
    out = {"bracket.stl": bracket(), "enclosure.stl": enclosure(), "gear.stl": gear()}
    out.update({f"assembly_{name}.stl": data for name, data in assembly().items()})
    return out
