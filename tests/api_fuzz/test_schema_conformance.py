"""Schemathesis over the whole API as each role: every answer is documented in the published
schema (status code, content type, body) and none is a server error.

Each operation gets a bounded, derandomized run of valid and invalid requests, half of them
aimed at rows of the seeded world (`world.py`: path, query and body fields that name objects)
so that fuzzed requests meet real objects. All operations run before the test fails, so one
run lists every finding."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_fuzz.world import ROLES, World, build_world

EXAMPLES_PER_OPERATION = 12
OWN_ROWS = {
    "customer": "GET /api/v1/orders/{id}/",
    "workshop": "GET /api/v1/jobs/{id}/",
    "carrier": "GET /api/v1/shipments/{id}/",
    "operator": "GET /api/v1/billing/settlements/",
}
"""An operation each role answers 2xx only with its own rows of the world."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CONFIG = schemathesis.Config.from_dict(
    {"generation": {"deterministic": True, "with-security-parameters": False}}
)
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def _requests_keep_the_test_transaction():
    """Django closes the connection after each request, which would end the transaction
    that wraps the test; its test client disconnects the same handlers."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _cases(operation, world: World) -> st.SearchStrategy:
    """Valid and invalid requests, with generated ids and with the world's real ones: in the
    path, and in query and body fields that name an object (`order`, `machine`, `revision`)."""
    known = world.known_path_parameters(operation.path)
    strategies = [operation.as_strategy(mode) for mode in GenerationMode]
    strategies += [
        operation.as_strategy(mode, path_parameters=known or None).map(world.aim)
        for mode in GenerationMode
    ]
    return st.one_of(strategies)


def _fuzz(operation, world: World, headers: dict[str, str], answered: set[str]) -> str | None:
    """The first finding on `operation`, or None; `answered` collects the operations that
    answered 2xx at least once."""

    @FUZZ_SETTINGS
    @given(case=_cases(operation, world))
    def run(case):
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        if response.status_code < 300:
            answered.add(operation.label)

    try:
        run()
    except (Exception, BaseExceptionGroup) as finding:  # a check failure, or several
        return f"{operation.label}: {finding}"
    return None


@pytest.mark.usefixtures("_requests_keep_the_test_transaction")
@pytest.mark.parametrize("role", ROLES)
def test_every_answer_is_documented_and_none_is_a_server_error(role):
    world = build_world()
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", get_wsgi_application(), config=CONFIG
    )
    headers = {"Authorization": f"Token {world.tokens[role]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100
    answered: set[str] = set()
    findings = [f for op in operations if (f := _fuzz(op, world, headers, answered))]
    assert not findings, f"{len(findings)} operations break the schema:\n\n" + "\n\n".join(findings)
    # The run reached real answers, not only refusals: the token works and the rows exist.
    assert len(answered) >= 25, sorted(answered)
    assert OWN_ROWS[role] in answered, sorted(answered)
