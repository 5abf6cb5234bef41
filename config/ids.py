"""Object ids read from text that a client controls (headers, query strings, form fields)."""

import re

from django.urls import register_converter

_ID_PATTERN = "[0-9]{1,18}"
_ID = re.compile(_ID_PATTERN)


def parse_id(value: object) -> int | None:
    """The id, or None when the text is not one: ``"²"`` passes ``str.isdigit`` and ``int``
    refuses it; twenty digits overflow the database's integer; neither may reach a query."""
    text = str(value).strip()
    return int(text) if _ID.fullmatch(text) else None


def parse_ids(values: list[str]) -> list[int]:
    """The valid ids among ``values`` (``?design=1&design=x`` gives ``[1]``)."""
    return [i for i in map(parse_id, values) if i is not None]


class IdConverter:
    """``<id:name>`` in URL patterns: an id the database can hold. Django's ``<int:>`` takes
    any number of digits, and twenty of them overflowed the database's integer inside an
    ``__in`` lookup (500); with this converter such a path is simply not found (404)."""

    regex = _ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
