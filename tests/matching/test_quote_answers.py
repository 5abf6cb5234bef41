"""Quote answers without a database: refusals, options in plain JSON, sizes and horizons."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from matching.quote_answers import (
    MAX_HORIZON_DAYS,
    SYNC_MAX_SIZE,
    DesignAnalysis,
    QuoteInput,
    QuoteLineInput,
    quote_for,
    quote_horizon_days,
    size_of,
)
from tests.data.analyses import BRACKET, GEAR
from tests.matching.checks import check_two_part_option
from tests.matching.conftest import (
    ANODIZE,
    ASSEMBLY,
    DEBURR,
    MILL,
    MUNICH,
    NOW,
    NUREMBERG,
    STUTTGART,
)

FAST = {"time_limit_s": 1.0, "workers": 1}
PRICING = {"margin_bp": 1000, "platform_fee_bp": 500}
DESIGNS = {
    1: DesignAnalysis(1, "Bracket", BRACKET),
    2: DesignAnalysis(2, "Gear", GEAR),
    3: DesignAnalysis(3, "Housing", None, status_label="waiting for analysis"),
    4: DesignAnalysis(4, "Lid", None, status_label="could not be read", failed=True),
    5: DesignAnalysis(5, "Hinge", {"volume_mm3": 10.0}),
}


def two_parts(**kw) -> QuoteInput:
    return QuoteInput(
        lines=[
            QuoteLineInput(1, "al-6061", "anodized", quantity=2, line_id=101),
            QuoteLineInput(2, "al-6061", "anodized", quantity=4, line_id=102),
        ],
        ship_to_lat=MUNICH[0],
        ship_to_lon=MUNICH[1],
        **kw,
    )


def answer_to(request: QuoteInput, snapshot, **kw):
    return quote_for(request, snapshot=snapshot, designs=DESIGNS, now=NOW, **FAST, **PRICING, **kw)


def test_a_two_part_quote_crosses_workshops_on_capable_machines(network):
    answer = answer_to(two_parts(), network)
    assert answer.ok, answer.reasons
    data = answer.to_dict()
    json.dumps(data)  # JSONField-ready
    capable = {m.process: int(m.id) for m in (MILL, DEBURR, ANODIZE, ASSEMBLY)}
    for option in data["options"]:
        check_two_part_option(
            option, capable=capable, anodizer=int(NUREMBERG), assembler=int(STUTTGART), now=NOW
        )
        assert {s["revision_id"] for s in option["steps"]} == {1, 2, None}
        # One option, one date: the sentence says the delivery its heading shows (the quote
        # page showed the promise above a summary naming the plan's earlier arrival).
        promised = datetime.fromisoformat(option["delivery_at"])
        assert f"delivered by {promised:%a %d %b %Y, %H:%M}" in option["summary"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            QuoteLineInput(3, "al-6061"),
            "Housing is not analysed yet (waiting for analysis); "
            "it can be quoted once its analysis has finished.",
        ),
        (
            QuoteLineInput(4, "al-6061"),
            "Lid could not be read, so it cannot be quoted; upload it again.",
        ),
        (QuoteLineInput(99, "al-6061"), "Part 1: the design revision does not exist."),
        (
            QuoteLineInput(1, "unobtainium"),
            "Bracket: the material 'unobtainium' is not in the catalog.",
        ),
        (
            QuoteLineInput(5, "al-6061"),
            "Hinge: its analysis is incomplete; analyse the design again.",
        ),
    ],
)
def test_a_part_that_cannot_be_quoted_is_refused_with_a_reason(network, line, reason):
    request = QuoteInput([line], *MUNICH)
    answer = answer_to(request, network)
    assert answer.status == "refused"
    assert answer.reasons == [reason]
    assert (answer.options, answer.size, answer.earliest) == ([], 0, None)
    assert answer.origin == NOW.isoformat()
    assert size_of(request, snapshot=network, designs=DESIGNS, now=NOW) == 0


def test_an_empty_request_and_a_past_due_date_are_refused(network):
    assert answer_to(QuoteInput([], *MUNICH), network).reasons == ["The request has no parts."]
    past = answer_to(two_parts(due=NOW - timedelta(days=1)), network)
    assert (past.status, past.reasons) == ("refused", ["The due date is in the past."])


@pytest.mark.parametrize(
    ("lat", "lon"), [(float("nan"), 11.5), (48.1, float("inf")), (999.0, 11.5), (48.1, -181.0)]
)
def test_a_delivery_place_off_the_map_is_refused_in_words(network, lat, lon):
    """Forms and the API check coordinates; other callers reached the solver with nan."""
    request = QuoteInput(two_parts().lines, ship_to_lat=lat, ship_to_lon=lon)
    answer = answer_to(request, network)
    assert answer.status == "refused"
    assert answer.reasons == [
        "The delivery address has no valid location "
        "(latitude between -90 and 90, longitude between -180 and 180)."
    ]


def test_an_impossible_finish_is_answered_in_words(network):
    request = QuoteInput([QuoteLineInput(1, "ss-304", "anodized")], *MUNICH)
    answer = answer_to(request, network)
    assert answer.status == "infeasible"
    assert answer.options == []
    assert any("cannot be anodized" in r for r in answer.reasons), answer.reasons


def test_an_impossible_due_date_gives_the_earliest_delivery(network):
    answer = answer_to(two_parts(due=NOW + timedelta(days=2)), network)
    assert answer.status == "infeasible"
    assert answer.earliest is not None
    assert datetime.fromisoformat(answer.earliest) > NOW + timedelta(days=2)
    assert answer.reasons[0].startswith("The due date is impossible; the earliest possible")


def test_size_counts_steps_times_candidate_machines(network, with_eindhoven):
    # Two parts of three steps (mill, deburr, anodize) and the assembly: one machine each.
    assert size_of(two_parts(), snapshot=network, designs=DESIGNS, now=NOW) == 7 <= SYNC_MAX_SIZE
    # Eindhoven doubles the part steps' machines; only Stuttgart assembles.
    assert size_of(two_parts(), snapshot=with_eindhoven, designs=DESIGNS, now=NOW) == 13


def test_the_horizon_stretches_to_the_due_date_within_the_cap():
    assert quote_horizon_days(two_parts(), NOW, 28) == 28
    assert quote_horizon_days(two_parts(due=NOW + timedelta(days=3)), NOW, 28) == 28
    assert quote_horizon_days(two_parts(due=NOW + timedelta(days=40, hours=1)), NOW, 28) == 42
    far = two_parts(due=NOW + timedelta(days=400))
    assert quote_horizon_days(far, NOW, 28) == MAX_HORIZON_DAYS
