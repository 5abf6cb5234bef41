"""How the API reads requests; loaded by DRF's settings while its views module is still
importing, so this module imports nothing of ``rest_framework.views``."""

from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """JSON nested deeper than Python's recursion limit is a client error, not a crash."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - the document is nested too deeply."
            ) from None


class Metadata(SimpleMetadata):
    """OPTIONS on a list-level action that accepts PUT (preferences, ``mine``) has no object to
    check permissions on: describe it without one instead of failing."""

    def determine_actions(self, request, view):
        lookup = view.lookup_url_kwarg or view.lookup_field
        if getattr(view, "detail", None) is False and lookup not in view.kwargs:
            view.get_object = lambda: None
        return super().determine_actions(request, view)
