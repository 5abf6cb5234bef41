"""What a quality upload really is: its type from its first bytes, never from its name or
the browser's word, and its size. Pure (no Django)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # bytes
MAX_FILE_BYTES = 20 * 1024 * 1024  # bytes

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
DOCUMENT_TYPES = frozenset({"application/pdf", *PHOTO_TYPES})
# Plain files (a CMM's raw output, a spreadsheet export) besides documents and pictures.
FILE_TYPES = frozenset({*DOCUMENT_TYPES, "text/csv", "application/zip"})

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "text/csv": "csv",
    "application/zip": "zip",
}


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


class UploadRefused(ValueError):
    """An upload whose content or size does not fit its kind; the message is for the user."""


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if head and _is_text(head):
        return "text/csv"
    return None


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The head may cut a multi-byte character in two.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return "\x00" not in text and ("," in text or ";" in text or "\t" in text)


def accepted_types(kind: str) -> frozenset[str]:
    if kind == "photo":
        return PHOTO_TYPES
    if kind == "file":
        return FILE_TYPES
    return DOCUMENT_TYPES


def size_limit(kind: str) -> int:
    return MAX_PHOTO_BYTES if kind == "photo" else MAX_FILE_BYTES


def check_upload(*, kind: str, head: bytes, size: int) -> Sniffed:
    """The upload's real type if its kind takes it and its size fits; UploadRefused otherwise."""
    if size <= 0:
        raise UploadRefused("The file is empty.")
    limit = size_limit(kind)
    if size > limit:
        raise UploadRefused(f"The file is larger than {limit // (1024 * 1024)} MB.")
    content_type = sniff(head)
    allowed = accepted_types(kind)
    if content_type not in allowed:
        names = ", ".join(sorted(EXTENSIONS[t].upper() for t in allowed))
        raise UploadRefused(f"This file is not one of {names} (its content says otherwise).")
    return Sniffed(content_type, EXTENSIONS[content_type])
