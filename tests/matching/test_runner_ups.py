"""Runner-up and reference prices for the sharing rule: only independent, verified offers count,
and the reference is the median quote, so one inflated alternative cannot set it."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from matching.estimation import CarrierSpec, MachineSpec, independent, reference_cost, transport_leg
from matching.planning import MaterialSpec, PartGeometry
from matching.quote_problem import PartToQuote, QuoteQuery, build_problem

STUTTGART, EINDHOVEN = (48.7758, 9.1829), (51.4416, 5.4697)
AL = MaterialSpec("al-6061", "Aluminium 6061-T6", "aluminium", 2.7, 600, ("cnc-3axis",))
BLOCK = PartGeometry(volume_mm3=36_000, area_mm2=9_400, bbox_mm=(50, 40, 30))


def carrier(id: str, base_fee: int, **kw) -> CarrierSpec:
    return CarrierSpec(id, base_fee, 4000, 600, 200, organization=f"org-{id}", **kw)


def mill(id: str, rate: int, **kw) -> MachineSpec:
    return MachineSpec(
        id=id,
        workshop=f"ws-{id}",
        process="cnc-3axis",
        materials=frozenset({"al-6061"}),
        envelope_mm=(500, 500, 500),
        tolerance_mm=0.05,
        hourly_rate_minor=rate,
        setup_cost_minor=2000,
        setup_minutes=30,
        throughput=20,
        lat=STUTTGART[0],
        lon=STUTTGART[1],
        organization=kw.pop("organization", f"org-{id}"),
        **kw,
    )


def test_a_carrier_sharing_a_member_or_unverified_is_no_runner_up():
    chosen = carrier("cheap", 500, members=frozenset({"7"}))
    twin = carrier("twin", 600, members=frozenset({"7", "8"}))  # same owner: colludes
    shady = carrier("shady", 700, verified=False)
    honest = carrier("honest", 900)
    leg = transport_leg(STUTTGART, EINDHOVEN, [twin, chosen, shady, honest])
    assert leg.carrier == "cheap"
    # The old rule took the next quote whoever sent it: "twin".
    assert leg.runner_up_carrier == "honest"
    assert leg.runner_up_cost == leg.cost + 400
    assert leg.reference_cost == leg.cost + 200  # median of cheap and honest


def test_a_carrier_of_the_same_organization_is_no_runner_up_and_none_left_means_none():
    chosen = carrier("a", 500)
    sibling = replace(carrier("b", 600), organization="org-a")
    leg = transport_leg(STUTTGART, EINDHOVEN, [chosen, sibling])
    assert (leg.runner_up_carrier, leg.runner_up_cost) == (None, None)
    assert leg.reference_cost == leg.cost


def test_independence_is_organization_members_and_verification():
    a = mill("a", 5000, members=frozenset({"1"}))
    assert independent(a, mill("b", 5000, members=frozenset({"2"})))
    assert not independent(a, mill("b", 5000, members=frozenset({"1"})))
    assert not independent(a, mill("b", 5000, organization="org-a"))
    assert not independent(a, mill("b", 5000, verified=False))


def test_a_step_runner_up_skips_a_colluding_workshop_and_the_reference_is_the_median():
    chosen = mill("a", 5000, members=frozenset({"1"}))
    colluder = mill("b", 5200, members=frozenset({"1"}))
    honest = mill("c", 6000)
    dear = mill("d", 9000)
    query = QuoteQuery(
        lines=(PartToQuote("block", BLOCK, AL, quantity=5),),
        customer_lat=48.1,
        customer_lon=11.6,
    )
    _, context = build_problem(query, [chosen, colluder, honest, dear], [carrier("x", 500)])
    (key,) = [k for k in context.estimates if k[0] == "block"][:1]
    job, step = key
    cost = {e.machine: e.cost for e in context.estimates[key].estimates}
    runner = context.runner_up(job, step, "a")
    assert runner is not None
    assert runner.machine == "c"
    assert context.reference(job, step, "a") == cost["c"]  # median of a, c, d
    # From the colluder's side, the chosen mill is no runner-up either.
    assert context.runner_up(job, step, "b").machine == "c"


@given(
    st.integers(min_value=0, max_value=10**7),
    st.lists(st.integers(min_value=0, max_value=10**7), max_size=8),
    st.integers(min_value=0, max_value=10**9),
)
def test_one_inflated_alternative_moves_the_reference_no_further_than_the_middle(
    chosen, others, inflated
):
    honest = reference_cost(chosen, others)
    with_fake = reference_cost(chosen, [*others, inflated])
    costs = sorted([chosen, *others])
    assert min(costs) <= honest <= max(costs)
    if len(costs) >= 2:
        # With two honest quotes or more, one more quote, however high, never lifts the
        # median above the dearest honest one.
        assert with_fake <= max(costs)
    else:
        # A lone fake alternative moves it halfway at most (documented residual).
        assert with_fake <= (chosen + max(chosen, inflated)) // 2


def test_a_quote_carries_runner_up_and_reference_for_steps_and_legs():
    from matching.engine import SolveParams
    from matching.quoting import quote

    mills = [mill("a", 5000), mill("c", 6000), mill("d", 9000)]
    deburr = replace(mill("a", 5000), id="a-deburr", process="deburring", materials=frozenset())
    carriers = [carrier("x", 500), carrier("y", 900), carrier("z", 2000)]
    query = QuoteQuery(
        lines=(PartToQuote("block", BLOCK, AL, quantity=5),),
        customer_lat=48.1,
        customer_lon=11.6,
    )
    result = quote(
        query,
        [*mills, deburr],
        carriers,
        params=SolveParams(time_limit_s=2.0, workers=1, deterministic=True),
    )
    cheapest = next(o for o in result.options if "cheapest" in o.labels)
    step, finishing = cheapest.steps
    assert step.machine == "a"
    assert step.runner_up_machine == "c"
    assert step.reference_cost == step.runner_up_cost  # median of a, c, d is c
    # Only workshop a deburrs: no runner-up, and the reference is its own estimate.
    assert (finishing.runner_up_cost, finishing.reference_cost) == (None, finishing.cost)
    (leg,) = cheapest.legs
    assert (leg.carrier, leg.runner_up_carrier) == ("x", "y")
    assert leg.reference_cost == leg.runner_up_cost  # median of x, y, z is y
