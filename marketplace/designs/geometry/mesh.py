"""A bare triangle mesh in millimetres, and the fast readers and vertex merge behind it.

trimesh's default load spends most of its time merging vertices and building caches we do not
need; for the analysis a vertex array, a face array and one exact merge are enough.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:  # a hash table for factorize; numpy's sort-based fallback is 3-5x slower
    import pandas as _pd
except ImportError:  # pragma: no cover
    _pd = None

# One binary STL record: normal, three vertices, attribute byte count (50 bytes).
STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
STL_HEADER_BYTES = 84


@dataclass(frozen=True, eq=False)
class Mesh:
    """Vertices (m, 3) float64 in mm and faces (n, 3) int64 indices, vertices merged once."""

    vertices: np.ndarray
    faces: np.ndarray
    # The (n, 3, 3) corners when a reader already has them in face order (binary STL):
    # a random gather of a million faces costs more than the whole surface integral.
    corners: np.ndarray | None = None

    @property
    def triangle_count(self) -> int:
        return len(self.faces)

    def triangles(self) -> np.ndarray:
        """(n, 3, 3) float64 corner coordinates; do not modify in place."""
        if self.corners is not None:
            return self.corners
        return self.vertices[self.faces]

    def scaled(self, factor: float) -> Mesh:
        if factor == 1.0:
            return self
        corners = None if self.corners is None else self.corners * factor
        return Mesh(self.vertices * factor, self.faces, corners)

    def to_trimesh(self):  # -> trimesh.Trimesh, imported lazily: most callers never need it
        import trimesh

        return trimesh.Trimesh(self.vertices, self.faces, process=False, validate=False)


def stl_records(buffer: np.ndarray | bytes | memoryview, count: int) -> np.ndarray:
    """View `count` binary STL records after the 84-byte header, without copying."""
    raw = np.frombuffer(buffer, dtype=np.uint8)
    end = STL_HEADER_BYTES + count * STL_RECORD.itemsize
    return raw[STL_HEADER_BYTES:end].view(STL_RECORD)


def _hash_rows(rows: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit hash of each (x, y, z) row of 64-bit values.

    Distinct vertices collide with probability about k^2 / 2^65 (1e-7 for a million faces);
    a collision would merely join two vertices, so no second pass verifies it.
    """
    u = rows.view(np.uint64)  # int64 or float64 rows: only the bits matter
    with np.errstate(over="ignore"):
        out = u[:, 0] * np.uint64(0x9E3779B97F4A7C15)
        tmp = u[:, 1] * np.uint64(0xC2B2AE3D27D4EB4F)
        out ^= tmp >> np.uint64(17)
        out += tmp
        np.multiply(u[:, 2], np.uint64(0x165667B19E3779F9), out=tmp)
        out ^= tmp >> np.uint64(23)
        out += tmp
        # splitmix64 finaliser
        out ^= out >> np.uint64(30)
        out *= np.uint64(0xBF58476D1CE4E5B9)
        out ^= out >> np.uint64(27)
        out *= np.uint64(0x94D049BB133111EB)
        out ^= out >> np.uint64(31)
    return out


MERGE_DIGITS = 8  # decimals, in file units: trimesh's tolerance (tol.merge = 1e-8)


def factorize(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, first): `codes[i]` numbers each distinct key by first appearance, and
    `first[c]` is where code c first appears.

    pandas' hash table does this in one pass, several times faster than numpy's
    argsort-gather-scatter; pandas comes with ortools, and numpy is the fallback.
    """
    if _pd is None:  # pragma: no cover - exercised only without pandas
        return _factorize_numpy(keys)
    codes, uniques = _pd.factorize(keys, sort=False)
    codes = codes.astype(np.int64, copy=False)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return codes, first


def _factorize_numpy(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.empty(len(sorted_keys), dtype=bool)
    starts[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=starts[1:])
    group = np.cumsum(starts)
    group -= 1
    codes = np.empty(len(group), dtype=np.int64)
    codes[order] = group
    return codes, order[starts]


def merge_vertices(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge corners equal to 8 decimals, as trimesh does: (k, 3) -> (vertices, inverse).

    CAD exports write "zero" as 1e-33 here and -2e-10 there; rounding makes those one vertex.
    Rounded rows are hashed and the hashes factorized; each group's first corner is its vertex.
    """
    corners = np.asarray(corners, dtype=np.float64).reshape(-1, 3)
    if len(corners) == 0:
        return np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
    scale = 10.0**MERGE_DIGITS
    largest = max(abs(float(corners.min())), abs(float(corners.max())))
    if largest * scale < 2**52:
        rounded = corners * scale
        np.rint(rounded, out=rounded)
    else:  # absurd coordinates (beyond 45 km in mm): merge identical values only
        rounded = corners.copy()
    rounded += 0.0  # -0.0 -> 0.0: equal values must share their bits
    # Whole numbers below 2**52 are exact in float64, so their bits identify them.
    keys = _hash_rows(rounded)
    del rounded
    inverse, first = factorize(keys)
    return corners[first], inverse


def mesh_from_triangles(triangles: np.ndarray) -> Mesh:
    """Build a merged mesh from (n, 3, 3) corner coordinates (float32 or float64)."""
    corners = np.ascontiguousarray(triangles, dtype=np.float64)
    vertices, inverse = merge_vertices(corners.reshape(-1, 3))
    return Mesh(vertices, inverse.reshape(-1, 3), corners)


def mesh_from_arrays(vertices: np.ndarray, faces: np.ndarray) -> Mesh:
    """Build a merged mesh from indexed arrays, as other readers (trimesh) return them."""
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    if len(faces) == 0:
        return Mesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64))
    merged, inverse = merge_vertices(vertices)
    return Mesh(merged, inverse[faces])


def stl_bytes(mesh: Mesh, header: bytes = b"Cloud Factory binary STL, millimetres") -> bytes:
    """Serialise as binary STL (float32, mm): the browser preview and samples use it."""
    tri = mesh.triangles()
    records = np.zeros(len(tri), dtype=STL_RECORD)
    if len(tri):
        cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        norm = np.linalg.norm(cross, axis=1, keepdims=True)
        np.divide(cross, norm, out=cross, where=norm > 0)
        records["normal"] = cross
        records["vertices"] = tri
    head = header[:80].ljust(80, b" ") + np.uint32(len(tri)).tobytes()
    return head + records.tobytes()
