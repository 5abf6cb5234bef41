"""How the API reads requests; loaded by DRF's settings while its views module is still
importing, so this module imports nothing of ``rest_framework.views``."""

import math

from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.parsers import JSONParser

NUL_REFUSAL = "Text may not contain NUL (\\u0000) characters."
HUGE_NUMBER_REFUSAL = "A number in the document is too large to read (beyond 1.8e308)."


def _refusal(value) -> str | None:
    """Why the parsed document cannot be used, or None: a NUL character hiding anywhere (keys
    included), or a number too large for a float (``1e999`` reads as infinity, which every
    integer or id field would turn into an OverflowError)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return NUL_REFUSAL
        elif isinstance(item, float):
            if not math.isfinite(item):
                return HUGE_NUMBER_REFUSAL
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


class BoundedJSONParser(JSONParser):
    """JSON nested deeper than Python's recursion limit is a client error, not a crash; so is
    a NUL character in any string, which PostgreSQL refuses in every text lookup, and a number
    beyond a float's range."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - the document is nested too deeply."
            ) from None
        if refusal := _refusal(data):
            raise exceptions.ParseError(refusal)
        return data


class Metadata(SimpleMetadata):
    """OPTIONS on a list-level action that accepts PUT (preferences, ``mine``) has no object to
    check permissions on: describe it without one instead of failing."""

    def determine_actions(self, request, view):
        lookup = view.lookup_url_kwarg or view.lookup_field
        if getattr(view, "detail", None) is False and lookup not in view.kwargs:
            view.get_object = lambda: None
        return super().determine_actions(request, view)
