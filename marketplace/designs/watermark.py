"""Watermarks on pictures of confidential designs shown to other organizations (pure: Pillow).

The reader's name and the date are drawn across the whole picture, diagonally and repeated,
so a screenshot or a saved thumbnail still says who saw it and when; cropping one corner
does not remove it.
"""

from __future__ import annotations

import io

ALPHA = 110  # of 255: readable, the part still visible underneath


def watermark_text(*, reader: str, organization: str, day: str) -> str:
    """One line: who (person and organization) and when (an ISO date)."""
    who = f"{reader} ({organization})" if organization else reader
    return f"Confidential · {who} · {day}"


def watermark_png(data: bytes, text: str) -> bytes:
    """The picture with ``text`` tiled diagonally over it, as PNG bytes."""
    from PIL import Image, ImageDraw, ImageFont  # on the first watermark, not with the site

    with Image.open(io.BytesIO(data)) as source:
        base = source.convert("RGBA")
    width, height = base.size
    size = max(10, min(width, height) // 18)
    font = ImageFont.load_default(size=size)
    box = ImageDraw.Draw(Image.new("RGBA", (1, 1))).textbbox((0, 0), text, font=font)
    text_w, text_h = box[2] - box[0] + size, box[3] - box[1] + size
    side = int((width**2 + height**2) ** 0.5) + text_w
    layer = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for row, y in enumerate(range(0, side, text_h * 3)):
        shift = (row % 2) * text_w // 2
        for x in range(-text_w, side, text_w):
            draw.text((x + shift, y), text, font=font, fill=(180, 20, 20, ALPHA))
    layer = layer.rotate(30, resample=Image.Resampling.BICUBIC)
    left, top = (side - width) // 2, (side - height) // 2
    marked = Image.alpha_composite(base, layer.crop((left, top, left + width, top + height)))
    out = io.BytesIO()
    marked.save(out, format="PNG")
    return out.getvalue()
