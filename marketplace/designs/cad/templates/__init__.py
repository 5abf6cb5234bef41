"""The parametric part templates, by key. Pure: describing and checking one imports no kernel."""

from __future__ import annotations

from .base import (
    REFERENCE_PROCESS_LIMITS,
    Finding,
    Param,
    ProcessLimits,
    Template,
    TemplateError,
)
from .bracket import BRACKET
from .enclosure import ENCLOSURE
from .flange import FLANGE
from .plate import PLATE
from .shaft import SHAFT
from .spacer import SPACER

TEMPLATES: dict[str, Template] = {
    t.key: t for t in (PLATE, BRACKET, SPACER, FLANGE, ENCLOSURE, SHAFT)
}


class UnknownTemplate(KeyError):
    """No template has that key."""


def template_get(key: str) -> Template:
    try:
        return TEMPLATES[key]
    except KeyError:
        raise UnknownTemplate(
            f"No part template {key!r}; choose one of {', '.join(TEMPLATES)}."
        ) from None


__all__ = [
    "REFERENCE_PROCESS_LIMITS",
    "TEMPLATES",
    "Finding",
    "Param",
    "ProcessLimits",
    "Template",
    "TemplateError",
    "UnknownTemplate",
    "template_get",
]
