"""Thumbnails (matplotlib Agg, no display) and the mesh the browser's 3D preview loads."""

from __future__ import annotations

import io

import numpy as np

from .mesh import Mesh, stl_bytes

THUMBNAIL_FACES = 20_000  # faces drawn at most; 8 k faces draw in about 0.06 s
PREVIEW_TRIANGLES = 300_000  # triangles sent to the browser at most (15 MB of STL)
_VIEW_AZIMUTH = np.radians(-55.0)
_VIEW_ELEVATION = np.radians(28.0)
_BASE_COLOUR = np.array([0.36, 0.55, 0.78])
_LIGHT = np.array([0.35, 0.45, 0.82])


def decimate(mesh: Mesh, max_faces: int) -> Mesh:
    """Vertex clustering on a grid: coarse but fast, keeps the silhouette, never leaves holes.

    Good enough for a thumbnail or a preview; the analysis always uses the full mesh.
    """
    if mesh.triangle_count <= max_faces:
        return mesh
    lo = mesh.vertices.min(axis=0)
    size = float((mesh.vertices.max(axis=0) - lo).max()) or 1.0
    resolution = max(8, int(np.sqrt(max_faces / 2.0)))
    result = mesh
    for _ in range(12):
        cell = size / resolution
        grid = np.floor((mesh.vertices - lo) / cell).astype(np.int64)
        key = (grid[:, 0] * (resolution + 1) + grid[:, 1]) * (resolution + 1) + grid[:, 2]
        unique, cluster = np.unique(key, return_inverse=True)
        counts = np.bincount(cluster, minlength=len(unique)).astype(np.float64)
        vertices = np.stack(
            [np.bincount(cluster, weights=mesh.vertices[:, i]) / counts for i in range(3)],
            axis=1,
        )
        faces = cluster[mesh.faces]
        keep = (
            (faces[:, 0] != faces[:, 1])
            & (faces[:, 1] != faces[:, 2])
            & (faces[:, 2] != faces[:, 0])
        )
        faces = faces[keep]
        _, first = np.unique(np.sort(faces, axis=1), axis=0, return_index=True)
        faces = faces[np.sort(first)]
        result = Mesh(vertices, faces)
        if len(faces) <= max_faces:
            break
        resolution = max(4, int(resolution * 0.75))
    return result


def thumbnail_png(mesh: Mesh, *, size_px: int = 400, max_faces: int = THUMBNAIL_FACES) -> bytes:
    """A shaded isometric-ish view as PNG bytes, drawn headlessly."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    small = decimate(mesh, max_faces)
    tri = small.triangles()
    ca, sa = np.cos(_VIEW_AZIMUTH), np.sin(_VIEW_AZIMUTH)
    ce, se = np.cos(_VIEW_ELEVATION), np.sin(_VIEW_ELEVATION)
    # Camera basis: right, up, and towards the viewer.
    right = np.array([ca, sa, 0.0])
    toward = np.array([-sa * ce, ca * ce, se])
    toward = np.array([sa * ce * -1, ca * ce, se]) if False else toward
    up = np.cross(toward, right)
    screen_x = tri @ right
    screen_y = tri @ up
    depth = (tri @ toward).mean(axis=1)
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)
    light = _LIGHT / np.linalg.norm(_LIGHT)
    shade = 0.35 + 0.65 * np.abs(normals @ light)
    colours = np.clip(_BASE_COLOUR[None, :] * shade[:, None] + 0.08, 0, 1)
    order = np.argsort(depth)  # painter's algorithm: far faces first
    polygons = np.stack([screen_x, screen_y], axis=2)[order]

    figure = Figure(figsize=(size_px / 100, size_px / 100), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.set_aspect("equal")
    axes.add_collection(
        PolyCollection(
            polygons, facecolors=colours[order], edgecolors=colours[order], linewidths=0.2
        )
    )
    if len(polygons):
        xs, ys = polygons[..., 0], polygons[..., 1]
        pad = 0.05 * max(float(np.ptp(xs)), float(np.ptp(ys)), 1e-9)
        axes.set_xlim(xs.min() - pad, xs.max() + pad)
        axes.set_ylim(ys.min() - pad, ys.max() + pad)
    out = io.BytesIO()
    figure.savefig(out, format="png", facecolor="white")
    return out.getvalue()


def preview_stl(mesh: Mesh, *, max_triangles: int | None = PREVIEW_TRIANGLES) -> bytes:
    """Binary STL in mm for three.js's STLLoader, decimated if it would be too heavy."""
    if max_triangles is not None:
        mesh = decimate(mesh, max_triangles)
    return stl_bytes(mesh)
