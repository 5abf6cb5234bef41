"""An option labelled cheapest is the cheapest; labels read as words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matching.option_labels import (
    ALTERNATIVE,
    BALANCED,
    EARNED,
    best_alternative_to,
    dominated,
    earned_labels,
    label_words,
)

GOALS = ("cheapest", "fastest", "lowest_co2", "balanced")

option_sets = st.lists(
    st.tuples(
        st.tuples(st.integers(1, 10**7), st.integers(0, 10**5), st.integers(0, 10**6)),
        st.lists(st.sampled_from(GOALS), min_size=1, max_size=4, unique=True),
    ),
    min_size=1,
    max_size=6,
)


@given(option_sets)
def test_a_label_is_given_exactly_to_the_options_with_the_best_figure(options):
    figures = [f for f, _ in options]
    labels = earned_labels(figures, [g for _, g in options])
    for i, label in enumerate(EARNED):
        best = min(f[i] for f in figures)
        for figure, earned in zip(figures, labels, strict=True):
            assert (label in earned) == (figure[i] == best)


@given(option_sets)
def test_every_option_has_a_label_and_balanced_stays_where_it_was_solved(options):
    labels = earned_labels([f for f, _ in options], [g for _, g in options])
    for (_, goals), earned in zip(options, labels, strict=True):
        assert earned
        assert (BALANCED in earned) == (BALANCED in goals)
        assert (ALTERNATIVE in earned) == (earned == (ALTERNATIVE,))


def test_the_plan_solved_for_cost_loses_the_label_when_another_option_is_cheaper():
    labels = earned_labels(
        [(104_400, 900, 5000), (99_000, 1200, 5200)], [("cheapest",), ("balanced",)]
    )
    assert labels == [("fastest", "lowest_co2"), ("cheapest", "balanced")]


def test_labels_read_as_words():
    assert label_words("lowest_co2") == "Lowest CO2"
    assert label_words("cheapest") == "Cheapest"
    assert label_words("some_new_goal") == "Some new goal"


@given(option_sets)
def test_an_option_that_is_dominated_earns_no_label_its_better_lacks(options):
    """So dropping dominated alternatives never drops the only cheapest (fastest, ...)."""
    figures = [f for f, _ in options]
    labels = earned_labels(figures, [g for _, g in options])
    for i, mine in enumerate(figures):
        if not dominated(figures, i):
            continue
        for j, other in enumerate(figures):
            if j != i and all(o <= m for o, m in zip(other, mine, strict=True)):
                assert set(labels[i]) & set(EARNED) <= set(labels[j])


def test_an_option_worse_on_every_figure_is_dominated():
    figures = [(100, 10, 5), (120, 12, 5), (90, 20, 1)]
    assert dominated(figures, 1)
    assert not dominated(figures, 0)
    assert not dominated(figures, 2)


@given(option_sets)
def test_every_option_stands_for_itself_or_for_one_that_stands_for_itself_and_is_no_worse(
    options,
):
    figures = [f for f, _ in options]
    labels = earned_labels(figures, [g for _, g in options])
    for i, mine in enumerate(figures):
        home = best_alternative_to(figures, i)
        assert best_alternative_to(figures, home) == home
        assert all(o <= m for o, m in zip(figures[home], mine, strict=True))
        assert set(labels[i]) & set(EARNED) <= set(labels[home])


def test_the_same_figures_are_offered_once():
    figures = [(100, 10, 5), (100, 10, 5), (100, 12, 5)]
    assert [best_alternative_to(figures, i) for i in range(3)] == [0, 0, 0]
