"""The published schema documents the one error body on every operation, and the errors the
API really renders fit it."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator

from tests.factories import MachineFactory
from tests.factories.orders import JobFactory
from tests.helpers import api_client_for, workshop_of

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _error_codes(operation: dict) -> set[str]:
    return {
        code
        for code, response in operation["responses"].items()
        if response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
        == "#/components/schemas/Error"
    }


def test_every_operation_documents_the_error_body(schema):
    operations = [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert len(operations) > 100
    for method, path, operation in operations:
        assert {"401", "403", "404", "429"} <= _error_codes(operation), (method, path)
        if method != "get":
            assert {"400", "409"} <= _error_codes(operation), (method, path)
        if "requestBody" in operation:
            assert {"413", "415"} <= _error_codes(operation), (method, path)


def test_a_read_without_parameters_promises_no_bad_request(schema):
    assert "400" not in schema["paths"]["/api/v1/me/"]["get"]["responses"]


def test_the_errors_the_api_renders_fit_the_published_body(schema, workshop_bob):
    validator = Draft202012Validator(
        {"$ref": "#/components/schemas/Error", "components": schema["components"]}
    )
    machine = MachineFactory(workshop=workshop_of(workshop_bob))
    JobFactory(workshop=machine.workshop, machine=machine)
    client = api_client_for(workshop_bob)
    answers = [
        client.post("/api/v1/machines/", {"name": ""}, format="json"),
        client.get("/api/v1/machines/999999/"),
        client.get("/api/v1/machines/-1/"),
        client.delete(f"/api/v1/machines/{machine.pk}/"),
        client.post("/api/v1/outages/", {}, format="json"),
        client.post("/api/v1/machines/", "<xml/>", content_type="application/xml"),
    ]
    assert [a.status_code for a in answers] == [400, 404, 404, 409, 403, 415]
    for answer in answers:
        errors = [e.message for e in validator.iter_errors(answer.json())]
        assert not errors, (answer.status_code, answer.json(), errors)


VAT_RETURN_COMPONENTS = {
    "VatReturnRow": {
        "issuer": "string",
        "currency": "string",
        "country": "string",
        "rate_bp": "integer",
        "treatment": "string",
        "net_minor": "integer",
        "vat_minor": "integer",
        "documents": "integer",
    },
    "EuSalesRow": {
        "issuer": "string",
        "currency": "string",
        "country": "string",
        "vat_id": "string",
        "net_minor": "integer",
        "documents": "integer",
    },
    "VatLedgerCheck": {
        "currency": "string",
        "net_minor": "integer",
        "documents_vat_minor": "integer",
        "ledger_vat_minor": "integer",
        "difference_minor": "integer",
        "agrees": "boolean",
    },
    "VatOrderDifference": {
        "order_id": "integer",
        "reference": "string",
        "currency": "string",
        "documents_vat_minor": "integer",
        "ledger_vat_minor": "integer",
        "difference_minor": "integer",
    },
}


@pytest.mark.parametrize("name", sorted(VAT_RETURN_COMPONENTS))
def test_the_vat_returns_rows_keep_their_documented_fields(schema, name):
    """The rows share their fields through base serializers; clients still read each row
    whole, every field required, no base's description borrowed."""
    component = schema["components"]["schemas"][name]
    fields = {key: value["type"] for key, value in component["properties"].items()}
    assert fields == VAT_RETURN_COMPONENTS[name]
    assert set(component["required"]) == set(fields)
    assert "description" not in component
    if name == "VatReturnRow":
        assert component["properties"]["country"]["description"].startswith("The buyer's")
