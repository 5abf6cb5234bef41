"""What a quality upload really is: its type from its first bytes, never from its name or
the browser's word, and its size; a required document must be a whole PDF or picture, not an
empty shell. Pure (no Django)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # bytes
MAX_FILE_BYTES = 20 * 1024 * 1024  # bytes
HEAD_BYTES = 8 * 1024  # what sniffing reads: enough lines to tell a CSV from prose or HTML
MIN_PDF_BYTES = 200  # bytes; the smallest real one-page PDF is larger
# pixels: more than a 60-megapixel camera's photo or an A4 page scanned at 600 dpi, and below
# Pillow's own decompression-bomb warning (about 89 million), so no accepted picture meets it.
MAX_IMAGE_PIXELS = 60_000_000

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
    """A plausible CSV: UTF-8 without NUL, no markup, and a header whose separator count at
    least one further line repeats (a comma in prose or HTML is not a table)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The head may cut a multi-byte character in two.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    if "\x00" in text or text.lstrip("\ufeff \t\r\n").startswith("<"):
        return False
    lines = [line for line in text.splitlines() if line.strip()]
    if len(head) >= HEAD_BYTES and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut short
    if len(lines) < 2:
        return False
    header, rest = lines[0], lines[1:]
    for separator in (",", ";", "\t"):
        count = header.count(separator)
        if count and any(line.count(separator) == count for line in rest):
            return True
    return False


def accepted_types(kind: str) -> frozenset[str]:
    if kind == "photo":
        return PHOTO_TYPES
    if kind == "file":
        return FILE_TYPES
    return DOCUMENT_TYPES


def size_limit(kind: str) -> int:
    return MAX_PHOTO_BYTES if kind == "photo" else MAX_FILE_BYTES


def is_document(kind: str) -> bool:
    return kind not in ("photo", "file")


def _header_reader(content_type: str) -> type:
    """The picture type's header reader, used without ``Image.open``: that one refuses a bomb
    before saying how large it is, and a user is owed the number. Pillow loads on the first
    picture, not with the site."""
    from PIL import JpegImagePlugin, PngImagePlugin, WebPImagePlugin

    return {
        "image/png": PngImagePlugin.PngImageFile,
        "image/jpeg": JpegImagePlugin.JpegImageFile,
        "image/webp": WebPImagePlugin.WebPImageFile,
    }[content_type]


def picture_pixels(*, content_type: str, content: bytes) -> int | None:
    """The pixels a picture's header claims, read without decoding any of them; None when it
    is no picture or its header cannot be read; UploadRefused for a bomb whose size the reader
    will not say."""
    if content_type not in PHOTO_TYPES:
        return None
    from PIL import Image

    reader = _header_reader(content_type)
    try:
        with reader(io.BytesIO(content)) as image:
            width, height = image.size
    except Image.DecompressionBombError as error:
        # Some readers (WebP's) refuse a bomb themselves and say its size only in words.
        claimed = re.search(r"\((\d+) pixels\)", str(error))
        if claimed is None:
            raise UploadRefused(
                f"The image is too large to open: at most {MAX_IMAGE_PIXELS:,} pixels."
            ) from None
        return int(claimed.group(1))
    except Exception:  # Pillow raises many kinds of error for hostile bytes; all mean unread
        return None
    return width * height


def check_picture_size(*, content_type: str, content: bytes) -> None:
    """Any picture, stored or opened, claims at most MAX_IMAGE_PIXELS: a 177-byte PNG can
    claim billions, which whoever decodes it (Pillow here, a browser later) must allocate."""
    pixels = picture_pixels(content_type=content_type, content=content)
    if pixels is not None and pixels > MAX_IMAGE_PIXELS:
        raise UploadRefused(
            f"The image is too large to open: {pixels:,} pixels, at most {MAX_IMAGE_PIXELS:,}."
        )


def check_document(*, content_type: str, content: bytes) -> None:
    """A required document must be whole: a PDF with its end marker and some body, or a
    picture Pillow can read; UploadRefused otherwise."""
    if content_type == "application/pdf":
        if len(content) < MIN_PDF_BYTES or b"%%EOF" not in content:
            raise UploadRefused("This PDF is incomplete or empty: upload the whole document.")
        return
    check_picture_size(content_type=content_type, content=content)
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # A header only Image.open could read (the size check let it through unread).
        raise UploadRefused(
            f"The image is too large to open: at most {MAX_IMAGE_PIXELS:,} pixels."
        ) from None
    except Exception:  # Pillow raises many kinds of error for broken or hostile bytes
        raise UploadRefused("This picture cannot be read: upload the whole document.") from None


def check_content(*, kind: str, content_type: str, content: bytes) -> None:
    """What the whole content must be beyond its first bytes: no picture too large to open,
    and a document whole."""
    if is_document(kind):
        check_document(content_type=content_type, content=content)
    elif content_type in PHOTO_TYPES:
        check_picture_size(content_type=content_type, content=content)


def served_name(original_name: str, content_type: str) -> str:
    """The name a download gets: the uploader's stem with the extension of what the content
    really is, so a browser never opens an HTML page that was stored as CSV."""
    base = original_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = stem.strip(". ") or "file"
    return f"{stem}.{EXTENSIONS.get(content_type, 'bin')}"


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
