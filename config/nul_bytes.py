"""Refuses requests that carry a NUL character where it would reach a database lookup.

PostgreSQL cannot store or compare a text holding NUL (0x00): a path, a filter, the
X-Organization header, an API token or a session cookie holding one made the lookup raise and
the request answer 500 (SQLite compares it quietly). No legitimate client sends one, so the
request is refused with 400 before any view, authentication or session lookup runs.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParser
from django.template.loader import render_to_string

NUL = "\x00"
# Headers whose values become database lookups (the organization, the API token, the session).
LOOKUP_HEADERS = ("HTTP_X_ORGANIZATION", "HTTP_AUTHORIZATION", "HTTP_COOKIE")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MULTIPART_CONTENT_TYPE = "multipart/form-data"


def _body_is_small(request: HttpRequest) -> bool:
    """Whether reading the body here is safe: larger ones are refused later when parsed."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit is None or length <= limit


def _multipart_fields_carry_nul(request: HttpRequest) -> bool:
    """Whether a field (not a file) of a small multipart body holds a NUL character.

    The body is parsed from a copy by Django's own parser, so the view parses it afresh as
    before: a malformed body is left to the view's parser and its usual 400.
    """
    body = request.body
    if b"\x00" not in body:
        return False
    parser = MultiPartParser(
        request.META, BytesIO(body), [MemoryFileUploadHandler(request)], request.encoding
    )
    try:
        fields, _files = parser.parse()
    except Exception:  # any malformed body is the view parser's to refuse
        return False
    return any(NUL in name or NUL in "".join(values) for name, values in fields.lists())


def nul_location(request: HttpRequest) -> str | None:
    """Where the request carries a NUL character (`path`, `query string`, a header), or None.

    The query string is read raw and decoded with `unquote_plus`, not parsed through
    `request.GET`: parsing enforces DATA_UPLOAD_MAX_NUMBER_FIELDS, which would refuse a probe
    with many fields that no view ever reads.
    """
    if NUL in request.path:
        return "path"
    query_string = request.META.get("QUERY_STRING", "")
    if query_string and NUL in unquote_plus(query_string, errors="replace"):
        return "query string"
    for key in LOOKUP_HEADERS:
        if NUL in request.META.get(key, ""):
            return key.removeprefix("HTTP_").replace("_", "-").title() + " header"
    # Form fields become text columns and lookups like the query string's (in a multipart body
    # only the fields: its files may hold any byte).
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type == FORM_CONTENT_TYPE and _body_is_small(request):
        form_body = unquote_plus(request.body.decode("latin-1"), errors="replace")
        if NUL in form_body:
            return "form body"
    elif (
        content_type == MULTIPART_CONTENT_TYPE
        and _body_is_small(request)
        and _multipart_fields_carry_nul(request)
    ):
        return "form body"
    # Django's cookie parser turns a quoted escape ("\\000") into a NUL character.
    if any(NUL in name or NUL in value for name, value in request.COOKIES.items()):
        return "cookie"
    return None


class NulRefusingMiddleware:
    """First in MIDDLEWARE: a NUL character gets 400 (the API's error body under /api/)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_location(request)
        if where is None:
            return self.get_response(request)
        message = f"The request's {where} contains a NUL character (0x00), which is not allowed."
        if request.path.startswith("/api/"):
            body = {"error": {"code": "nul_character", "message": message}}
            return JsonResponse(body, status=400)
        # The page names the problem: a typed field (a form's text) is the likely source.
        return HttpResponseBadRequest(render_to_string("400.html", {"message": message}))
