"""What a quote option is called, earned by its figures and said in words.

The engine solves one plan per goal under a time limit, and the price the customer sees adds
margin and fee to the plan's cost, so the plan solved "for cost" is not always the cheapest
option offered. Labels are therefore given after pricing, by the figures the customer reads:
every option with the lowest price is "cheapest", with the earliest delivery "fastest", with
the least CO2 "lowest_co2". "balanced" stays a goal label (the plan solved for the sum of the
three); an option that earns nothing else is an "alternative".
"""

from __future__ import annotations

from collections.abc import Sequence

CHEAPEST, FASTEST, GREENEST, BALANCED, ALTERNATIVE = (
    "cheapest",
    "fastest",
    "lowest_co2",
    "balanced",
    "alternative",
)
EARNED = (CHEAPEST, FASTEST, GREENEST)  # in the order they are shown

LABEL_WORDS = {
    CHEAPEST: "Cheapest",
    FASTEST: "Fastest",
    GREENEST: "Lowest CO2",
    BALANCED: "Balanced",
    ALTERNATIVE: "Alternative",
}


def label_words(label: str) -> str:
    """A label as the customer reads it; an unknown key is at least not shown as a key."""
    return LABEL_WORDS.get(label, label.replace("_", " ").capitalize())


def earned_labels(
    figures: Sequence[tuple[int, int, float]], goal_labels: Sequence[Sequence[str]]
) -> list[tuple[str, ...]]:
    """Each option's labels from its ``(price, delivery, co2)`` and the goals it was solved for.

    An option is labelled cheapest (fastest, lowest CO2) exactly when no other option is
    cheaper (earlier, cleaner); ties share the label.
    """
    if not figures:
        return []
    best = [min(f[i] for f in figures) for i in range(3)]
    out: list[tuple[str, ...]] = []
    for figure, goals in zip(figures, goal_labels, strict=True):
        labels = [label for i, label in enumerate(EARNED) if figure[i] == best[i]]
        if BALANCED in goals:
            labels.append(BALANCED)
        out.append(tuple(labels) or (ALTERNATIVE,))
    return out


def dominated(figures: Sequence[tuple[int, int, float]], index: int) -> bool:
    """Whether another option is at least as good on price, delivery and CO2, and better on
    one: offering it would only make the customer compare for nothing."""
    mine = figures[index]
    return any(
        all(o <= m for o, m in zip(other, mine, strict=True)) and other != mine
        for i, other in enumerate(figures)
        if i != index
    )


def best_alternative_to(figures: Sequence[tuple[int, int, float]], index: int) -> int:
    """The option that stands for ``index``: itself unless another is no worse on every figure
    (and better on one, or the same and listed earlier); then the first in figure order."""
    mine = figures[index]
    better = [
        i
        for i, other in enumerate(figures)
        if i != index
        and all(o <= m for o, m in zip(other, mine, strict=True))
        and (other != mine or i < index)
    ]
    if not better:
        return index
    return min(better, key=lambda i: (figures[i], i))
