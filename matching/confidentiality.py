"""Who may make a confidential design: the owner's rule, judged on the machines' workshops.

Pure (no Django). A ``ConfidentialityRule`` names required certifications, allowed countries
and allowed workshops; every part of it that is set must hold (an empty part does not
restrict). Quotes and re-plans hand the engine only machines whose workshop the rule admits,
so no plan can place a step of a confidential design anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matching.estimation import MachineSpec


@dataclass(frozen=True)
class ConfidentialityRule:
    """The owner's rule. ``workshops`` are engine workshop ids (primary keys as strings),
    ``countries`` ISO 3166-1 alpha-2 codes, ``certifications`` catalog codes."""

    certifications: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    workshops: frozenset[str] = frozenset()

    def admits(self, machine: MachineSpec) -> bool:
        """True when the machine's workshop meets every part of the rule."""
        if self.workshops and machine.workshop not in self.workshops:
            return False
        if self.countries and machine.country.upper() not in self.countries:
            return False
        return self.certifications <= machine.certifications

    def describe(self) -> str:
        """The rule in words, for the reason a quote gives when nobody qualifies."""
        parts = []
        if self.certifications:
            parts.append("certified " + ", ".join(sorted(self.certifications)))
        if self.countries:
            parts.append("in " + ", ".join(sorted(self.countries)))
        if self.workshops:
            parts.append(f"one of the {len(self.workshops)} workshops the owner named")
        return "; ".join(parts) or "no restriction"


def admitted(
    machines: Sequence[MachineSpec], rules: Iterable[ConfidentialityRule | None]
) -> tuple[MachineSpec, ...]:
    """The machines every given rule admits (``None`` rules restrict nothing)."""
    active = [r for r in rules if r is not None]
    return tuple(m for m in machines if all(r.admits(m) for r in active))


def no_workshop_reason(rules: Sequence[tuple[str, ConfidentialityRule]]) -> str:
    """The quote's sentence when the rules of confidential designs (design name, rule) leave
    no machine able to make a step the open network could make."""
    if len(rules) == 1:
        name, rule = rules[0]
        return (
            f"{name} is confidential and no workshop that meets its rule ({rule.describe()}) "
            "can make it; widen the rule on the design's page."
        )
    names = ", ".join(name for name, _ in rules)
    return (
        f"{names} are confidential and no workshop meets all their rules at once; "
        "widen a rule on the design's page or quote them apart."
    )
