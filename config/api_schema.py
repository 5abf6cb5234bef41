"""The API's schema: every operation documents the one error body beside its own answers.

Loaded by DRF's settings (``DEFAULT_SCHEMA_CLASS``), so it lives apart from ``config.api``,
which DRF's own modules import while they are still loading."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable word for programs, e.g. `not_found`.")
    message = serializers.CharField(help_text="What went wrong, written for a person.")
    fields = serializers.DictField(
        required=False, help_text="Invalid fields and what is wrong with each (validation only)."
    )
    retry_after_s = serializers.IntegerField(
        required=False, allow_null=True, help_text="Seconds to wait (throttling only)."
    )


class ErrorSerializer(serializers.Serializer):
    """The one error body that `exception_handler` renders."""

    error = ErrorDetailSerializer()


_ERROR_WORDS = {
    "400": "The request is invalid or breaks a business rule.",
    "401": "No valid credentials.",
    "403": "The active organization may not do this.",
    "404": "No such object for the active organization, or no such page.",
    "409": "The object changed first, is still in use, or the action is already done.",
    "413": "The request body is too large.",
    "415": "The body's content type is not accepted.",
    "429": "Too many requests; retry after `retry_after_s` seconds.",
}


class AutoSchema(SpectacularAutoSchema):
    """Every operation documents the errors it can answer with, in the one error body, so a
    client (and the schema fuzzer) can tell a documented refusal from a broken promise."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                described = OpenApiResponse(ErrorSerializer, description=_ERROR_WORDS[code])
                responses[code] = self._get_response_for_code(described, code)
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        codes = ["401", "403", "404", "429"]
        if operation.get("parameters") or "requestBody" in operation:
            codes.append("400")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["400", "409"]
        if "requestBody" in operation:
            codes += ["413", "415"]
        return sorted(set(codes))
