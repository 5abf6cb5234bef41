"""The one error a design upload can fail with, worded for the customer who sent the file."""

from __future__ import annotations


class DesignFileError(Exception):
    """A design file that cannot be accepted; `code` is stable, `message` is shown to users."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    def __repr__(self) -> str:
        return f"DesignFileError({self.code!r}, {self.message!r})"


# Stable error codes, so the web layer and the API can branch on them.
EMPTY = "empty"
NOT_FOUND = "not_found"
TOO_LARGE = "too_large"
TOO_MANY_TRIANGLES = "too_many_triangles"
NO_TRIANGLES = "no_triangles"
TRUNCATED = "truncated"
SIZE_MISMATCH = "size_mismatch"
INVALID_NUMBERS = "invalid_numbers"
OUT_OF_RANGE = "out_of_range"
UNKNOWN_FORMAT = "unknown_format"
NOT_A_MODEL = "not_a_model"
MALFORMED = "malformed"
ARCHIVE_CORRUPT = "archive_corrupt"
ARCHIVE_NOT_3MF = "archive_not_3mf"
ARCHIVE_TOO_LARGE = "archive_too_large"
ARCHIVE_TOO_MANY_ENTRIES = "archive_too_many_entries"
ARCHIVE_RATIO = "archive_ratio"
ARCHIVE_UNSAFE_PATH = "archive_unsafe_path"
ARCHIVE_NESTED = "archive_nested"
UNSAFE_XML = "unsafe_xml"
BAD_PARAMETERS = "bad_parameters"  # a parametric part asked for the impossible
UNKNOWN_UNIT = "unknown_unit"
OUT_OF_MEMORY = "out_of_memory"
TIMEOUT = "timeout"
WORKER_FAILED = "worker_failed"

ALL_CODES = (
    EMPTY,
    NOT_FOUND,
    TOO_LARGE,
    TOO_MANY_TRIANGLES,
    NO_TRIANGLES,
    TRUNCATED,
    SIZE_MISMATCH,
    INVALID_NUMBERS,
    UNKNOWN_FORMAT,
    NOT_A_MODEL,
    MALFORMED,
    ARCHIVE_CORRUPT,
    ARCHIVE_NOT_3MF,
    ARCHIVE_TOO_LARGE,
    ARCHIVE_TOO_MANY_ENTRIES,
    ARCHIVE_RATIO,
    ARCHIVE_UNSAFE_PATH,
    ARCHIVE_NESTED,
    UNSAFE_XML,
    BAD_PARAMETERS,
    UNKNOWN_UNIT,
    OUT_OF_MEMORY,
    TIMEOUT,
    WORKER_FAILED,
)
