"""Sniff what an upload really is (never trusting its name) and refuse it early if it is bad.

Everything here runs before a full parse: sizes, headers, declared or counted triangles,
archive limits. The loader re-checks counts after parsing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from . import errors
from .errors import DesignFileError
from .limits import DEFAULT_LIMITS, Limits
from .mesh import STL_HEADER_BYTES, STL_RECORD
from .threemf import inspect_3mf, too_many_triangles

STL_BINARY = "stl_binary"
STL_ASCII = "stl_ascii"
THREEMF = "3mf"
OBJ = "obj"
STEP = "step"
FORMATS = (STL_BINARY, STL_ASCII, THREEMF, OBJ, STEP)
FORMAT_NAMES = {
    STL_BINARY: "binary STL",
    STL_ASCII: "text STL",
    THREEMF: "3MF",
    OBJ: "OBJ",
    STEP: "STEP",
}

ACCEPTED = "Upload STL, 3MF, OBJ or STEP."
HEAD_BYTES = 4096

# Files people upload by mistake, by their first bytes.
_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"BM", "a bitmap image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"glTF", "a glTF binary model (GLB)"),
    (b"ply", "a PLY model"),
    (b"AC1", "a DWG drawing"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
)
_OBJ_LINE = re.compile(rb"^[ \t]*v[ \t]+[-+.\d]", re.MULTILINE)
_OBJ_FACE = re.compile(rb"^[ \t]*f[ \t]+\S", re.MULTILINE)


@dataclass(frozen=True)
class Sniffed:
    """The real format and what the file declares, found before parsing."""

    format: str
    size_bytes: int
    triangles: int | None  # declared (binary STL), counted (ASCII STL, 3MF) or estimated (OBJ)
    unit: str | None = None  # unit written in the file (3MF), else None


class _Source:
    """A path or in-memory bytes, read the same way."""

    def __init__(self, source: str | os.PathLike[str] | bytes) -> None:
        self.path: Path | None = None
        self.data: bytes | None = None
        if isinstance(source, bytes | bytearray | memoryview):
            self.data = bytes(source)
            self.size = len(self.data)
        else:
            self.path = Path(source)
            try:
                self.size = self.path.stat().st_size
            except FileNotFoundError as exc:
                raise DesignFileError(errors.NOT_FOUND, "The file was not found.") from exc
            if not self.path.is_file():
                raise DesignFileError(errors.NOT_FOUND, "That path is not a file.")

    def head(self, n: int = HEAD_BYTES) -> bytes:
        if self.data is not None:
            return self.data[:n]
        assert self.path is not None
        with self.path.open("rb") as handle:
            return handle.read(n)

    def buffer(self) -> bytes:
        """The whole content (already bounded by the file size limit)."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    def opener(self) -> str | BinaryIO:
        import io

        if self.data is not None:
            return io.BytesIO(self.data)
        return str(self.path)


def sniff(source: str | os.PathLike[str] | bytes, limits: Limits = DEFAULT_LIMITS) -> Sniffed:
    """Identify the format from the content and run every check that needs no parse."""
    src = _Source(source)
    return _sniff(src, limits)


def _sniff(src: _Source, limits: Limits) -> Sniffed:
    if src.size == 0:
        raise DesignFileError(errors.EMPTY, "The file is empty (0 bytes). " + ACCEPTED)
    if src.size > limits.max_file_bytes:
        raise DesignFileError(
            errors.TOO_LARGE,
            f"The file is {src.size / 1e6:.1f} MB; we accept at most "
            f"{limits.max_file_bytes / 1e6:.0f} MB.",
        )
    head = src.head()
    if not head.strip():
        raise DesignFileError(errors.EMPTY, "The file holds only blank space. " + ACCEPTED)

    # Binary STL: the length must be exactly what the header declares; any header text is fine.
    declared = _declared_stl_count(head, src.size)
    if declared is not None and STL_HEADER_BYTES + STL_RECORD.itemsize * declared == src.size:
        if declared == 0:
            raise _no_triangles()
        if declared > limits.max_triangles:
            raise too_many_triangles(declared, limits)
        return Sniffed(STL_BINARY, src.size, declared)

    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        info = inspect_3mf(src.opener(), limits)
        if info.triangles == 0:
            raise _no_triangles("3MF")
        return Sniffed(THREEMF, src.size, info.triangles, info.unit)

    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"ISO-10303-21"):
        return Sniffed(STEP, src.size, None, None)  # its unit is read with the shapes

    for magic, what in _OTHER_MAGIC:
        if head.startswith(magic) and not (magic == b"ply" and not head.startswith(b"ply\n")):
            raise DesignFileError(
                errors.NOT_A_MODEL, f"This file is {what}, not a 3D model. {ACCEPTED}"
            )

    text = _looks_like_text(head)
    if text and stripped[:5].lower() == b"solid":
        return _sniff_ascii_stl(src, limits)
    if text and (_OBJ_LINE.search(head) or _OBJ_FACE.search(head)):
        return _sniff_obj(src, limits)
    if declared is not None and not text:
        _raise_broken_binary_stl(head, src, declared)
    if text:
        raise DesignFileError(
            errors.UNKNOWN_FORMAT,
            "This text file is not a 3D model we can read (no STL facets or OBJ vertices). "
            + ACCEPTED,
        )
    raise DesignFileError(
        errors.UNKNOWN_FORMAT, "We could not recognise this file as a 3D model. " + ACCEPTED
    )


def _declared_stl_count(head: bytes, size: int) -> int | None:
    if size < STL_HEADER_BYTES or len(head) < STL_HEADER_BYTES:
        return None
    return int(np.frombuffer(head, dtype="<u4", count=1, offset=80)[0])


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    sample = head[:HEAD_BYTES]
    printable = sum(1 for b in sample if b in (9, 10, 13) or 32 <= b < 127 or b >= 128)
    return printable >= 0.95 * len(sample)


def _no_triangles(kind: str = "STL") -> DesignFileError:
    return DesignFileError(
        errors.NO_TRIANGLES,
        f"The {kind} file is valid but holds no triangles, so there is no part to make.",
    )


def _raise_broken_binary_stl(head: bytes, src: _Source, declared: int) -> None:
    """A binary file whose length disagrees with its STL header: truncated, lying or garbage."""
    held = (src.size - STL_HEADER_BYTES) // STL_RECORD.itemsize
    whole = (src.size - STL_HEADER_BYTES) % STL_RECORD.itemsize == 0
    sample_count = min(held, 2000)
    if sample_count:
        sample = src.head(STL_HEADER_BYTES + STL_RECORD.itemsize * sample_count)
        records = np.frombuffer(sample, dtype=np.uint8)[STL_HEADER_BYTES:].view(STL_RECORD)
        plausible = _plausible_stl_records(records)
    else:
        plausible = 0 < declared <= 100_000_000
    if not plausible:
        raise DesignFileError(
            errors.UNKNOWN_FORMAT, "We could not recognise this file as a 3D model. " + ACCEPTED
        )
    if declared > held:
        raise DesignFileError(
            errors.TRUNCATED,
            f"The file ends early: it declares {declared:,} triangles but holds {held:,}. "
            "The upload or the export was probably cut off; export it again.",
        )
    extra = "" if whole else " plus a partial one"
    raise DesignFileError(
        errors.SIZE_MISMATCH,
        f"The file contradicts its own header: it declares {declared:,} triangles but holds "
        f"{held:,}{extra}. It is damaged; export it again from your CAD tool.",
    )


def _plausible_stl_records(records: np.ndarray) -> bool:
    """Most records of a real STL have unit (or zero) normals and modest finite coordinates."""
    with np.errstate(all="ignore"):
        normals = records["normal"].astype(np.float64)
        length = np.sqrt((normals**2).sum(axis=1))
        coords = records["vertices"].reshape(len(records), -1).astype(np.float64)
        ok_normal = (np.abs(length - 1) < 0.05) | (length < 1e-6)
        ok_coords = np.isfinite(coords).all(axis=1) & (np.abs(coords) < 1e7).all(axis=1)
    return bool(np.mean(ok_normal & ok_coords) >= 0.9)


def _sniff_ascii_stl(src: _Source, limits: Limits) -> Sniffed:
    buffer = src.buffer()
    ends = buffer.count(b"endfacet")
    starts = buffer.count(b"facet") - ends  # "endfacet" contains "facet"
    if starts == 0:
        raise _no_triangles()
    if ends < starts:
        raise DesignFileError(
            errors.TRUNCATED,
            f"The file ends early: it starts {starts:,} triangles but completes {ends:,}. "
            "Export it again.",
        )
    if ends > limits.max_triangles:
        raise too_many_triangles(ends, limits)
    return Sniffed(STL_ASCII, src.size, ends)


def _sniff_obj(src: _Source, limits: Limits) -> Sniffed:
    buffer = src.buffer()
    faces = buffer.count(b"\nf ") + buffer.count(b"\nf\t") + (buffer[:2] in (b"f ", b"f\t"))
    has_vertices = _OBJ_LINE.search(buffer) is not None
    if faces == 0 or not has_vertices:
        raise _no_triangles("OBJ")
    if faces > limits.max_triangles:
        raise too_many_triangles(faces, limits, at_least=True)
    return Sniffed(OBJ, src.size, faces)
