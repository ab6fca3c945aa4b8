"""POST/GET /api/v1/customers/ through the real API, with real hashed tokens."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from journeys.models import Customer
from tests.factories import CustomerFactory, StageFactory, TeamFactory, UserFactory

CUSTOMERS = "/api/v1/customers/"

pytestmark = pytest.mark.django_db


def post_json(client, body):
    return client.post(CUSTOMERS, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def ana():
    return UserFactory(username="ana")


@pytest.fixture
def crew():
    return TeamFactory(key="onboarding-crew")


def test_create_answers_201_with_owner_username_and_team_key(integration_client, ana, crew):
    response = post_json(
        integration_client,
        {
            "external_id": "crm-1",
            "name": "Acme",
            "segment": "enterprise",
            "owner": "ana",
            "team": "onboarding-crew",
            "arr": "120000.00",
            "acquisition_cost": "15000",
            "started_on": "2026-01-15",
            "renewal_date": "2027-01-15",
            "status": "onboarding",
            "attributes": {"region": "emea"},
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["external_id"] == "crm-1"
    assert body["owner"] == "ana"
    assert body["team"] == "onboarding-crew"
    assert body["current_stage"] is None
    stored = Customer.objects.get(external_id="crm-1")
    assert stored.name == "Acme"
    assert stored.segment == "enterprise"
    assert stored.owner == ana
    assert stored.team == crew
    assert stored.arr == Decimal("120000.00")
    assert stored.acquisition_cost == Decimal("15000")
    assert stored.started_on == date(2026, 1, 15)
    assert stored.renewal_date == date(2027, 1, 15)
    assert stored.status == Customer.Status.ONBOARDING
    assert stored.attributes == {"region": "emea"}


def test_same_external_id_again_answers_200_and_changes_only_fields_sent(
    integration_client, ana, crew
):
    post_json(
        integration_client,
        {
            "external_id": "crm-1",
            "name": "Acme",
            "segment": "enterprise",
            "owner": "ana",
            "team": "onboarding-crew",
            "arr": "100",
            "attributes": {"region": "emea"},
        },
    )

    response = post_json(integration_client, {"external_id": "crm-1", "name": "Acme", "arr": "250"})

    assert response.status_code == 200, response.json()
    assert Customer.objects.count() == 1
    stored = Customer.objects.get(external_id="crm-1")
    assert stored.arr == Decimal("250")
    assert stored.segment == "enterprise"
    assert stored.owner == ana
    assert stored.team == crew
    assert stored.attributes == {"region": "emea"}
    assert response.json()["owner"] == "ana"


def test_update_with_owner_null_clears_the_owner(integration_client, ana):
    post_json(integration_client, {"external_id": "crm-1", "name": "Acme", "owner": "ana"})

    response = post_json(
        integration_client, {"external_id": "crm-1", "name": "Acme", "owner": None}
    )

    assert response.status_code == 200
    assert Customer.objects.get(external_id="crm-1").owner is None


@pytest.mark.parametrize(
    ("field", "value"), [("owner", "nobody-here"), ("team", "no-such-team")], ids=["owner", "team"]
)
def test_unknown_owner_or_team_answers_422_naming_it_and_stores_nothing(
    integration_client, field, value
):
    response = post_json(integration_client, {"external_id": "crm-1", "name": "Acme", field: value})

    assert response.status_code == 422
    body = response.json()
    assert value in body["detail"]
    assert body["code"] == "unknown_reference"
    assert not Customer.objects.exists()


def test_unknown_owner_on_update_changes_nothing(integration_client, ana):
    post_json(integration_client, {"external_id": "crm-1", "name": "Acme", "owner": "ana"})

    response = post_json(
        integration_client, {"external_id": "crm-1", "name": "Renamed", "owner": "ghost"}
    )

    assert response.status_code == 422
    stored = Customer.objects.get(external_id="crm-1")
    assert stored.name == "Acme"
    assert stored.owner == ana


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"arr": "-1"}, "arr"),
        ({"acquisition_cost": "-0.01"}, "acquisition_cost"),
        ({"arr": "lots"}, "arr"),
        ({"started_on": "15/01/2026"}, "started_on"),
        ({"renewal_date": "2026-02-30"}, "renewal_date"),
        ({"status": "sleeping"}, "status"),
        ({"attributes": ["a"]}, "attributes"),
        ({"external_id": None}, "external_id"),
        ({"name": None}, "name"),
    ],
    ids=[
        "negative-arr",
        "negative-cost",
        "arr-not-a-number",
        "bad-date",
        "impossible-date",
        "unknown-status",
        "attributes-list",
        "external_id-null",
        "name-null",
    ],
)
def test_bad_customer_input_answers_400_with_field_errors_and_stores_nothing(
    integration_client, body, field
):
    response = post_json(integration_client, {"external_id": "crm-1", "name": "Acme", **body})

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize("body", [[{"external_id": "x", "name": "y"}], "x", 3])
def test_customer_body_that_is_not_an_object_answers_400(integration_client, body):
    response = post_json(integration_client, body)

    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Customer.objects.exists()


def test_detail_has_null_current_stage_before_any_hit(integration_client):
    CustomerFactory(external_id="crm-7", name="Seven")

    response = integration_client.get(f"{CUSTOMERS}crm-7/")

    assert response.status_code == 200
    assert response.json()["name"] == "Seven"
    assert response.json()["current_stage"] is None


def test_detail_includes_current_stage(integration_client):
    stage = StageFactory(key="onboarding", name="Onboarding", journey__key="b2b")
    CustomerFactory(external_id="crm-7", current_stage=stage)

    response = integration_client.get(f"{CUSTOMERS}crm-7/")

    assert response.status_code == 200
    assert response.json()["current_stage"] == {
        "key": "onboarding",
        "name": "Onboarding",
        "journey": "b2b",
    }


def test_detail_of_external_id_with_dots_and_colons(integration_client):
    CustomerFactory(external_id="sf:001.ABC")

    response = integration_client.get(f"{CUSTOMERS}sf:001.ABC/")

    assert response.status_code == 200
    assert response.json()["external_id"] == "sf:001.ABC"


def test_unknown_customer_detail_answers_404(integration_client):
    response = integration_client.get(f"{CUSTOMERS}nope/")

    assert response.status_code == 404
    assert {"detail", "code"} <= set(response.json())


def test_list_and_filters(integration_client, ana, crew):
    bob = UserFactory(username="bob")
    CustomerFactory(external_id="a", segment="enterprise", owner=ana, team=crew)
    CustomerFactory(external_id="b", segment="smb", owner=bob, status=Customer.Status.AT_RISK)
    CustomerFactory(external_id="c", segment="enterprise", owner=bob)

    def ids(query: str = "") -> list[str]:
        response = integration_client.get(f"{CUSTOMERS}{query}")
        assert response.status_code == 200
        return [row["external_id"] for row in response.json()["results"]]

    assert ids() == ["a", "b", "c"]
    assert ids("?segment=enterprise") == ["a", "c"]
    assert ids("?status=at_risk") == ["b"]
    assert ids("?team__key=onboarding-crew") == ["a"]
    assert ids("?owner__username=bob") == ["b", "c"]
    assert ids("?segment=enterprise&owner__username=bob") == ["c"]
    assert ids("?segment=none-such") == []


def test_list_pages_by_external_id(integration_client):
    for n in range(5):
        CustomerFactory(external_id=f"c{n}")

    first = integration_client.get(f"{CUSTOMERS}?page_size=2").json()
    second = integration_client.get(first["next"]).json()

    assert [r["external_id"] for r in first["results"]] == ["c0", "c1"]
    assert [r["external_id"] for r in second["results"]] == ["c2", "c3"]
