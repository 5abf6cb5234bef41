"""Checks shared by the pure quote tests and the marketplace's database ones."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta


def check_two_part_option(
    option: Mapping, *, capable: Mapping[str, int], anodizer: int, assembler: int, now: datetime
) -> None:
    """A two-part, anodized option with 10 % margin: milled, deburred and assembled at
    ``assembler``'s workshop, anodized at ``anodizer``'s, priced from its steps and legs."""
    assert option["price_minor"] == (
        option["cost_minor"] + option["margin_minor"] + option["platform_fee_minor"]
    )
    assert option["margin_minor"] == round(option["cost_minor"] * 0.10)
    assert option["cost_minor"] == sum(s["cost_minor"] for s in option["steps"]) + sum(
        leg["cost_minor"] for leg in option["legs"]
    )
    assert set(option["workshop_ids"]) == {assembler, anodizer}
    for step in option["steps"]:
        assert step["machine_id"] == capable[step["process"]]
        assert datetime.fromisoformat(step["start"]) >= now + timedelta(hours=24)
    lines = {s["line"] for s in option["steps"]}
    assert lines == {0, 1, None}  # both parts and the assembly
    assert {s["line_id"] for s in option["steps"]} == {101, 102, None}
    assert option["assembly_job"] == "assembly"
    assert any(leg["to_customer"] for leg in option["legs"])
    assert any(
        leg["origin_workshop_id"] == anodizer and leg["destination_workshop_id"] == assembler
        for leg in option["legs"]
    )
    assert [r["kind"] for r in option["route"]].count("step") == len(option["steps"])
    assert datetime.fromisoformat(option["delivery_at"]) > now
