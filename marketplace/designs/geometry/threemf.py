"""3MF archive inspection before any XML parser sees it: zip limits, path safety, triangle count.

A 1 MB 3MF bomb used 2.1 GB inside trimesh; every check here streams and counts instead.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import IO

from . import errors
from .errors import DesignFileError
from .limits import Limits

CHUNK = 1 << 20  # bytes read per step while streaming a model part
_WS = (b" ", b"\t", b"\r", b"\n")
_UNIT_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?model\b[^>]*?\bunit\s*=\s*[\"']([^\"']+)[\"']")
_REL_RE = re.compile(rb"<Relationship\b[^>]*>", re.IGNORECASE)
_ATTR_RE = re.compile(rb"\b(Target|Type)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_NESTED_SUFFIXES = (".zip", ".3mf", ".7z", ".rar", ".gz", ".tar", ".jar")
_MODEL_REL_TYPE = b"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"

# 3MF unit attribute values -> our unit names.
THREEMF_UNITS = {
    "micron": "micron",
    "millimeter": "mm",
    "centimeter": "cm",
    "inch": "inch",
    "foot": "foot",
    "meter": "m",
}


@dataclass(frozen=True)
class ThreeMFInfo:
    """What the archive declares, counted without building any XML tree."""

    model_parts: tuple[str, ...]
    triangles: int  # triangle elements written in the model parts
    vertices: int
    components: int  # component references: instancing may multiply the triangles
    unit: str  # our unit name (3MF default: millimetre)


def _tag_counter(name: bytes) -> tuple[bytes, ...]:
    """Byte patterns of an opening tag with or without a namespace prefix."""
    return tuple(b"<" + name + ws for ws in _WS) + tuple(b":" + name + ws for ws in _WS)


_TRIANGLE = _tag_counter(b"triangle")
_VERTEX = _tag_counter(b"vertex")
_COMPONENT = _tag_counter(b"component")


def _count(buffer: bytes, patterns: tuple[bytes, ...]) -> int:
    return sum(buffer.count(p) for p in patterns)


def _unsafe_name(name: str) -> bool:
    if not name or "\x00" in name:
        return True
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    parts = re.split(r"[\\/]", name)
    return any(part == ".." for part in parts)


def _model_parts(archive: zipfile.ZipFile, names: list[str]) -> list[str]:
    """The model parts the package relationships point at, else every 3D/*.model part."""
    by_lower = {n.lower(): n for n in names}
    found: list[str] = []
    rels = by_lower.get("_rels/.rels")
    if rels is not None and archive.getinfo(rels).file_size < CHUNK:
        text = archive.read(rels)
        for rel in _REL_RE.findall(text):
            attrs = {k.lower(): v for k, v in _ATTR_RE.findall(rel)}
            if attrs.get(b"type", b"").rstrip(b"/") == _MODEL_REL_TYPE:
                target = attrs.get(b"target", b"").decode("utf-8", "replace").lstrip("/")
                if target.lower() in by_lower:
                    found.append(by_lower[target.lower()])
    others = [
        n
        for n in names
        if n.lower().startswith("3d/") and n.lower().endswith(".model") and n not in found
    ]
    return found + others


def inspect_3mf(source: str | IO[bytes], limits: Limits) -> ThreeMFInfo:
    """Refuse unsafe or oversized 3MF archives and count what they hold."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise DesignFileError(
            errors.ARCHIVE_CORRUPT,
            "The file looks like a 3MF (zip) archive but is damaged and cannot be opened. "
            "Export it again from your CAD or slicer software.",
        ) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_archive_entries:
            raise DesignFileError(
                errors.ARCHIVE_TOO_MANY_ENTRIES,
                f"The 3MF archive holds {len(infos)} files; we accept at most "
                f"{limits.max_archive_entries}.",
            )
        for info in infos:
            if _unsafe_name(info.filename):
                raise DesignFileError(
                    errors.ARCHIVE_UNSAFE_PATH,
                    f"The 3MF archive contains a file with an unsafe name ({info.filename!r}); "
                    "we refuse archives that point outside themselves.",
                )
        total = sum(info.file_size for info in infos)
        if total > limits.max_archive_uncompressed_bytes:
            raise DesignFileError(
                errors.ARCHIVE_TOO_LARGE,
                f"The 3MF archive expands to {total / 1e6:.0f} MB; we accept at most "
                f"{limits.max_archive_uncompressed_bytes / 1e6:.0f} MB.",
            )
        packed = sum(info.compress_size for info in infos)
        for info in infos:
            big = info.file_size >= limits.ratio_check_min_bytes
            if big and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1):
                raise DesignFileError(
                    errors.ARCHIVE_RATIO,
                    f"The 3MF archive part {info.filename!r} expands {info.file_size / 1e6:.0f} "
                    f"MB from {max(info.compress_size, 1) / 1e3:.0f} kB, more than "
                    f"{limits.max_compression_ratio:.0f} times: it looks like a zip bomb.",
                )
        if total >= limits.ratio_check_min_bytes and total > limits.max_compression_ratio * max(
            packed, 1
        ):
            raise DesignFileError(
                errors.ARCHIVE_RATIO,
                f"The 3MF archive expands {total / max(packed, 1):.0f} times (at most "
                f"{limits.max_compression_ratio:.0f} allowed): it looks like a zip bomb.",
            )
        names = [info.filename for info in infos]
        for info in infos:
            nested = info.filename.lower().endswith(_NESTED_SUFFIXES)
            if not nested and info.file_size >= 4 and not info.is_dir():
                try:
                    with archive.open(info) as handle:
                        nested = handle.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
                except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
                    raise DesignFileError(
                        errors.ARCHIVE_CORRUPT,
                        f"The 3MF archive part {info.filename!r} is damaged or uses an "
                        "unsupported compression.",
                    ) from exc
            if nested:
                raise DesignFileError(
                    errors.ARCHIVE_NESTED,
                    f"The 3MF archive contains another archive ({info.filename!r}); we do not "
                    "open archives inside archives.",
                )
        parts = _model_parts(archive, names)
        if not parts:
            raise DesignFileError(
                errors.ARCHIVE_NOT_3MF,
                "This zip archive is not a 3MF file: it has no 3D model part "
                "(3D/3dmodel.model). Upload STL, 3MF, OBJ or STEP.",
            )
        triangles = vertices = components = 0
        unit: str | None = None
        for part in parts:
            t, v, c, u = _scan_model(archive, part, limits)
            triangles, vertices, components = triangles + t, vertices + v, components + c
            unit = unit or u
    return ThreeMFInfo(tuple(parts), triangles, vertices, components, unit or "mm")


def _scan_model(
    archive: zipfile.ZipFile, part: str, limits: Limits
) -> tuple[int, int, int, str | None]:
    """Stream one model part: count tags, read the unit, refuse DTDs (entity bombs)."""
    triangles = vertices = components = 0
    unit: str | None = None
    carry = b""
    first = True
    try:
        with archive.open(part) as handle:
            while True:
                chunk = handle.read(CHUNK)
                buffer = carry + chunk
                if first:
                    match = _UNIT_RE.search(buffer[: 64 * 1024])
                    if match:
                        raw_unit = match.group(1).decode("ascii", "replace").strip().lower()
                        unit = THREEMF_UNITS.get(raw_unit)
                        if unit is None:
                            raise DesignFileError(
                                errors.UNKNOWN_UNIT,
                                f"The 3MF file declares the unit {raw_unit!r}, which is not a "
                                "3MF unit.",
                            )
                    first = False
                if b"<!DOCTYPE" in buffer or b"<!ENTITY" in buffer:
                    raise DesignFileError(
                        errors.UNSAFE_XML,
                        "The 3MF model declares XML entities (a DOCTYPE); 3MF files never need "
                        "them and they can hide an expansion bomb, so we refuse it.",
                    )
                # A tag never spans a '<': count up to the last one and carry the rest over
                # (only its first bytes, which hold the tag name: a 100 MB attribute value
                # must not pile up in memory).
                cut = buffer.rfind(b"<") if chunk else len(buffer)
                if cut < 0:
                    cut = len(buffer)
                body = buffer[:cut]
                triangles += _count(body, _TRIANGLE)
                vertices += _count(body, _VERTEX)
                components += _count(body, _COMPONENT)
                carry = buffer[cut : cut + 256]
                if triangles > limits.max_triangles:
                    raise too_many_triangles(triangles, limits, at_least=True)
                if vertices > 3 * limits.max_triangles:
                    raise DesignFileError(
                        errors.TOO_MANY_TRIANGLES,
                        f"The 3MF model holds more than {vertices:,} vertices; we accept at "
                        f"most {3 * limits.max_triangles:,}.",
                    )
                if not chunk:
                    break
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise DesignFileError(
            errors.ARCHIVE_CORRUPT,
            f"The 3MF archive part {part!r} is damaged and cannot be read to the end.",
        ) from exc
    return triangles, vertices, components, unit


def too_many_triangles(count: int, limits: Limits, *, at_least: bool = False) -> DesignFileError:
    more = "more than " if at_least else ""
    return DesignFileError(
        errors.TOO_MANY_TRIANGLES,
        f"The model has {more}{count:,} triangles; we accept at most {limits.max_triangles:,}. "
        "Export it with a coarser tessellation (a larger chord tolerance).",
    )
