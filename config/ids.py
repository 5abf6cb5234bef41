"""Object ids read from text that a client controls (headers, query strings, form fields)."""

import re

_ID = re.compile(r"[0-9]{1,18}")


def parse_id(value: object) -> int | None:
    """The id, or None when the text is not one: ``"²"`` passes ``str.isdigit`` and ``int``
    refuses it; twenty digits overflow the database's integer; neither may reach a query."""
    text = str(value).strip()
    return int(text) if _ID.fullmatch(text) else None


def parse_ids(values: list[str]) -> list[int]:
    """The valid ids among ``values`` (``?design=1&design=x`` gives ``[1]``)."""
    return [i for i in map(parse_id, values) if i is not None]
