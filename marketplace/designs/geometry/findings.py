"""A finding about a design: what is wrong or worth knowing, in words for the customer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Issue:
    """`error` stops an order, `warning` needs the customer's attention, `info` is a fact."""

    code: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "message": self.message}


def fmt_mm(x: float) -> str:
    """A length for people: 0.42 mm, 12.5 mm, 304.8 mm, 1250 mm."""
    if x >= 1000:
        return f"{x:.0f} mm"
    if x >= 100:
        return f"{x:.1f} mm"
    if x >= 1:
        return f"{x:.3g} mm" if x < 10 else f"{x:.1f} mm"
    return f"{x:.2g} mm"


def fmt_dims(dims: tuple[float, ...] | list[float]) -> str:
    return " x ".join(fmt_mm(d).removesuffix(" mm") for d in dims) + " mm"
