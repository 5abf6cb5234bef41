"""Legs and options as plain JSON, without a database."""

from __future__ import annotations

from datetime import datetime, timedelta

from matching.routes import leg_dict, legs_for_jobs
from tests.matching.conftest import CARRIER, MUNICH, NOW, NUREMBERG, STUTTGART, WORKSHOPS

PLACES = {int(w): (lat, lon) for w, (_, lat, lon) in WORKSHOPS.items()}
STUTTGART_ID, NUREMBERG_ID = int(STUTTGART), int(NUREMBERG)


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def test_legs_for_jobs_join_workshops_the_assembly_and_the_customer():
    legs = legs_for_jobs(
        jobs=[
            ("1", STUTTGART_ID, at(30)),
            ("1", NUREMBERG_ID, at(60)),
            ("2", STUTTGART_ID, at(32)),
            ("assembly", STUTTGART_ID, at(90)),
        ],
        ship_to=MUNICH,
        places=PLACES,
        carriers=[CARRIER],
        assembly_job="assembly",
    )
    route = [(g["job"], g["origin_workshop_id"], g["destination_workshop_id"]) for g in legs]
    assert route == [
        ("1", STUTTGART_ID, NUREMBERG_ID),
        ("1", NUREMBERG_ID, STUTTGART_ID),
        ("assembly", STUTTGART_ID, None),
    ]
    assert legs[0]["depart"] == at(30).isoformat()
    assert legs[-1]["to_customer"]
    assert legs[0]["carrier_name"] == "Rhein Cargo"
    assert legs[0]["carrier_id"] == int(CARRIER.id)


def test_without_an_assembly_every_job_delivers():
    legs = legs_for_jobs(
        jobs=[("1", STUTTGART_ID, at(30)), ("2", NUREMBERG_ID, at(40))],
        ship_to=MUNICH,
        places=PLACES,
        carriers=[CARRIER],
    )
    assert [(g["job"], g["origin_workshop_id"], g["to_customer"]) for g in legs] == [
        ("1", STUTTGART_ID, True),
        ("2", NUREMBERG_ID, True),
    ]


def test_no_carrier_or_no_job_means_no_legs():
    jobs = [("1", STUTTGART_ID, at(30))]
    assert legs_for_jobs(jobs=jobs, ship_to=MUNICH, places=PLACES, carriers=[]) == []
    assert legs_for_jobs(jobs=[], ship_to=MUNICH, places=PLACES, carriers=[CARRIER]) == []


def test_a_leg_is_plain_json_with_integer_ids_and_iso_times():
    leg = leg_dict(
        job="1",
        origin="10",
        destination=None,
        carrier="7",
        carrier_name="Rhein Cargo",
        depart=at(30),
        minutes=95,
        km=123.456,
        cost=2500,
        co2=30_000,
        runner_up_carrier=None,
        runner_up_cost=None,
    )
    assert leg == {
        "kind": "leg",
        "job": "1",
        "origin_workshop_id": 10,
        "destination_workshop_id": None,
        "to_customer": True,
        "carrier_id": 7,
        "carrier_name": "Rhein Cargo",
        "depart": at(30).isoformat(),
        "arrive": (at(30) + timedelta(minutes=95)).isoformat(),
        "km": 123.5,
        "cost_minor": 2500,
        "co2_g": 30_000,
        "runner_up_carrier_id": None,
        "runner_up_cost_minor": None,
        "estimate_cost_minor": None,
    }
