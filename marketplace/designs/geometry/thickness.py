"""Wall thickness by ray casting from sampled surface points, in numpy only.

Rays start at area-weighted random points and run inward along the face normal; the distance
to the first wall they hit is the local thickness. Only thickness up to a cap matters (a few
times the largest minimum wall on offer), so each ray is a short segment and a uniform grid
of cells about that size finds its candidate triangles without a BVH over the whole mesh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_GRID_CELLS = 1 << 24  # cells in the occupancy grid; coarser cells beyond this
MAX_CELLS_PER_AXIS = 512
MAX_STEPS = 48  # half-cell steps along the longest ray: bounds the cells each ray lists
MIN_FACING = 0.2  # |cos| between ray and wall below which a hit is grazing (about 78 deg)
PAIR_CHUNK = 1 << 19  # ray-triangle pairs tested at once (bounds memory)
_OFFSETS_2 = np.array([(x, y, z) for x in (0, 1) for y in (0, 1) for z in (0, 1)])
_OFFSETS_4 = np.array([(x, y, z) for x in range(4) for y in range(4) for z in range(4)])


@dataclass(frozen=True)
class ThicknessSample:
    """Thickness at sampled surface points; `inf` where no wall was found within the cap."""

    thickness_mm: np.ndarray  # (rays,)
    points_mm: np.ndarray  # (rays, 3)
    cap_mm: float

    @property
    def rays(self) -> int:
        return len(self.thickness_mm)

    def fraction_below(self, limit_mm: float) -> float:
        """Share of sampled area thinner than `limit_mm` (samples are area-weighted)."""
        if self.rays == 0:
            return 0.0
        return float(np.mean(self.thickness_mm < limit_mm))

    def min_mm(self) -> float:
        return float(self.thickness_mm.min()) if self.rays else float("inf")


def sample_thickness(
    triangles: np.ndarray,
    normals: np.ndarray,
    areas: np.ndarray,
    *,
    rays: int,
    cap_mm: float,
    seed: int = 0,
    face_lo: np.ndarray | None = None,
    face_hi: np.ndarray | None = None,
) -> ThicknessSample:
    """Measure thickness at `rays` points; `normals` must point outward (unit length)."""
    n = len(triangles)
    total = float(areas.sum())
    if n == 0 or rays <= 0 or total <= 0 or cap_mm <= 0:
        return ThicknessSample(np.zeros(0), np.zeros((0, 3)), cap_mm)
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(areas)
    face = np.searchsorted(cumulative, rng.random(rays) * cumulative[-1], side="right")
    face = np.minimum(face, n - 1)
    r1, r2 = rng.random(rays), rng.random(rays)
    flip = r1 + r2 > 1
    r1[flip], r2[flip] = 1 - r1[flip], 1 - r2[flip]
    tri = triangles[face]
    origins = (
        tri[:, 0] + r1[:, None] * (tri[:, 1] - tri[:, 0]) + r2[:, None] * (tri[:, 2] - tri[:, 0])
    )
    directions = -normals[face]
    distance = first_hits(
        triangles, origins, directions, face, cap_mm, face_lo, face_hi, normals=normals
    )
    return ThicknessSample(distance, origins, cap_mm)


def first_hits(
    triangles: np.ndarray,
    origins: np.ndarray,
    directions: np.ndarray,
    source_faces: np.ndarray,
    length: float,
    face_lo: np.ndarray | None = None,
    face_hi: np.ndarray | None = None,
    normals: np.ndarray | None = None,
) -> np.ndarray:
    """Distance along each ray to the first triangle within `length` (inf when none).

    With `normals`, grazing hits (a side wall met almost edge-on by a ray that starts a hair
    from the edge) are ignored: they measure the distance to an edge, not a wall.

    Uniform grid: triangles are listed under the cells their box touches, each ray segment
    under the cells it passes through (conservatively, step by step), and only triangles
    sharing a cell with a ray are tested exactly (Moller-Trumbore).
    """
    rays = len(origins)
    result = np.full(rays, np.inf)
    if rays == 0 or len(triangles) == 0:
        return result
    lo = triangles.min(axis=1) if face_lo is None else face_lo
    hi = triangles.max(axis=1) if face_hi is None else face_hi
    mesh_lo = lo.min(axis=0)
    mesh_hi = hi.max(axis=0)
    mesh_size = np.maximum(mesh_hi - mesh_lo, 1e-12)
    # Segments end where they leave the part's box: nothing to hit beyond it.
    lengths = np.minimum(length, _exit_distance(origins, directions, mesh_lo, mesh_hi))
    longest = float(lengths.max())
    sample = lo if len(lo) <= 20_000 else lo[:: len(lo) // 20_000]
    sample_hi = hi if len(hi) <= 20_000 else hi[:: len(hi) // 20_000]
    extent = (sample_hi - sample).max(axis=1)
    typical = float(np.quantile(extent, 0.9))
    cell = max(typical, longest / MAX_STEPS, float(mesh_size.max()) / MAX_CELLS_PER_AXIS)
    cell = max(cell, float(np.prod(mesh_size) / MAX_GRID_CELLS) ** (1 / 3), 1e-12)
    dims = np.floor(mesh_size / cell).astype(np.int64) + 1

    def cell_of(points: np.ndarray) -> np.ndarray:
        return np.clip(np.floor((points - mesh_lo) / cell).astype(np.int64), 0, dims - 1)

    def flat(cells: np.ndarray) -> np.ndarray:
        return (cells[..., 0] * dims[1] + cells[..., 1]) * dims[2] + cells[..., 2]

    # Ray cells: between consecutive points half a cell apart, the segment stays inside the
    # box of their two cells (at most 2 x 2 x 2 cells).
    steps = int(np.ceil(longest / (cell / 2))) + 1
    t = np.minimum(np.arange(steps + 1)[None, :] * (cell / 2), lengths[:, None])
    samples = cell_of(origins[:, None, :] + directions[:, None, :] * t[:, :, None])
    a, b = samples[:, :-1], samples[:, 1:]
    box_lo, box_hi = np.minimum(a, b), np.maximum(a, b)
    ray_cell_parts = []
    for offset in _OFFSETS_2:
        cells = box_lo + offset
        ok = (cells <= box_hi).all(axis=2)
        ray_cell_parts.append(np.where(ok, flat(cells), -1))
    ray_cells = np.concatenate(ray_cell_parts, axis=1)  # (rays, k), -1 where unused
    ray_id = np.repeat(np.arange(rays), ray_cells.shape[1])
    ray_cells = ray_cells.reshape(-1)
    used = ray_cells >= 0
    pair_key = _unique(ray_cells[used] * rays + ray_id[used])
    ray_cells, ray_id = pair_key // rays, pair_key % rays
    occupied = np.zeros(int(np.prod(dims)), dtype=bool)
    occupied[ray_cells] = True

    # Triangle cells: every cell of the triangle's box, for boxes up to 4 cells a side. Most
    # triangles sit in 1-2 cells per axis; those whose first cell is not next to any ray cell
    # are dropped before any per-offset work.
    tri_lo, tri_hi = cell_of(lo), cell_of(hi)
    span = tri_hi - tri_lo
    span = np.maximum(np.maximum(span[:, 0], span[:, 1]), span[:, 2])
    near = np.zeros_like(occupied)
    ray_xyz = np.stack(np.unravel_index(ray_cells, tuple(dims)), axis=1)
    for offset in _OFFSETS_2:
        near[flat(np.maximum(ray_xyz - offset, 0))] = True
    small = np.flatnonzero((span <= 1) & near[flat(tri_lo)])
    medium = np.flatnonzero((span > 1) & (span <= 3))
    entry_cell: list[np.ndarray] = []
    entry_tri: list[np.ndarray] = []
    for ids, offsets in ((small, _OFFSETS_2), (medium, _OFFSETS_4)):
        c_lo, c_hi = tri_lo[ids], tri_hi[ids]
        for offset in offsets:
            cells = c_lo + offset
            ok = (cells <= c_hi).all(axis=1)
            f = flat(np.where(ok[:, None], cells, 0))
            ok &= occupied[f]
            entry_cell.append(f[ok])
            entry_tri.append(ids[ok])
    e_cell = np.concatenate(entry_cell)
    e_tri = np.concatenate(entry_tri)
    order = np.argsort(e_cell, kind="stable")
    e_cell, e_tri = e_cell[order], e_tri[order]
    first = np.searchsorted(e_cell, ray_cells, side="left")
    counts = np.searchsorted(e_cell, ray_cells, side="right") - first
    pair_ray = np.repeat(ray_id, counts)
    index = np.arange(len(pair_ray)) + np.repeat(first - (np.cumsum(counts) - counts), counts)
    pair_tri = e_tri[index]

    # Huge triangles (a flat side of a CAD part): tested against every ray whose box meets.
    huge = np.flatnonzero(span > 3)
    if len(huge):
        seg_end = origins + directions * lengths[:, None]
        extra_r, extra_t = _box_pairs(
            np.minimum(origins, seg_end), np.maximum(origins, seg_end), lo[huge], hi[huge]
        )
        pair_ray = np.concatenate([pair_ray, extra_r])
        pair_tri = np.concatenate([pair_tri, huge[extra_t]])
    if len(pair_ray) == 0:
        return result
    # A triangle met in several cells of one ray is tested once.
    n = np.int64(len(triangles))
    key = _unique(pair_ray.astype(np.int64) * n + pair_tri)
    pair_ray, pair_tri = key // n, key % n
    keep = pair_tri != source_faces[pair_ray]
    pair_ray, pair_tri = pair_ray[keep], pair_tri[keep]
    eps = 1e-7 * float(mesh_size.max())
    hit_ray: list[np.ndarray] = []
    hit_dist: list[np.ndarray] = []
    for start in range(0, len(pair_ray), PAIR_CHUNK):
        r = pair_ray[start : start + PAIR_CHUNK]
        tt = pair_tri[start : start + PAIR_CHUNK]
        dist = _moller_trumbore(origins[r], directions[r], triangles[tt])
        hit = (dist > eps) & (dist <= lengths[r])
        if normals is not None:
            facing = np.abs((directions[r] * normals[tt]).sum(axis=1))
            hit &= facing >= MIN_FACING
        hit_ray.append(r[hit])
        hit_dist.append(dist[hit])
    r = np.concatenate(hit_ray)
    d = np.concatenate(hit_dist)
    if len(r):
        order = np.lexsort((d, r))
        r, d = r[order], d[order]
        first_of_ray = np.concatenate([[True], r[1:] != r[:-1]])
        result[r[first_of_ray]] = d[first_of_ray]
    return result


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted unique values; numpy 2's hash-based np.unique is several times slower here."""
    values = np.sort(values)
    if len(values) == 0:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _exit_distance(
    origins: np.ndarray, directions: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """How far each ray travels before leaving the box [lo, hi] (slab method)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / directions
        far = np.maximum((lo - origins) * inv, (hi - origins) * inv)
    far = np.where(np.isnan(far), np.inf, far)
    return np.maximum(far.min(axis=1), 0.0) * (1 + 1e-9) + 1e-12


def _box_pairs(
    ray_lo: np.ndarray, ray_hi: np.ndarray, tri_lo: np.ndarray, tri_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(ray, triangle) index pairs whose cell boxes overlap, in bounded chunks."""
    out_r: list[np.ndarray] = []
    out_t: list[np.ndarray] = []
    step = max(1, PAIR_CHUNK // max(len(ray_lo), 1))
    for start in range(0, len(tri_lo), step):
        lo = tri_lo[start : start + step]
        hi = tri_hi[start : start + step]
        overlap = (
            (ray_lo[:, None, :] <= hi[None, :, :]) & (lo[None, :, :] <= ray_hi[:, None, :])
        ).all(axis=2)
        r, t = np.nonzero(overlap)
        out_r.append(r)
        out_t.append(t + start)
    return np.concatenate(out_r), np.concatenate(out_t)


def _moller_trumbore(origins: np.ndarray, directions: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Distance along each ray to its paired triangle, inf where it misses."""
    v0 = tri[:, 0]
    e1 = tri[:, 1] - v0
    e2 = tri[:, 2] - v0
    p = np.cross(directions, e2)
    det = (e1 * p).sum(axis=1)
    out = np.full(len(origins), np.inf)
    ok = np.abs(det) > 1e-14 * np.maximum((e1 * e1).sum(axis=1), 1e-300)
    inv = np.zeros_like(det)
    inv[ok] = 1.0 / det[ok]
    s = origins - v0
    u = (s * p).sum(axis=1) * inv
    q = np.cross(s, e1)
    v = (directions * q).sum(axis=1) * inv
    t = (e2 * q).sum(axis=1) * inv
    tol = 1e-9
    hit = ok & (u >= -tol) & (v >= -tol) & (u + v <= 1 + tol)
    out[hit] = t[hit]
    return out
