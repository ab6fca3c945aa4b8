"""Bearer tokens: hashed, scoped, revocable; `create_token` prints one that works."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from journeys.models import ApiToken, Customer, Event
from tests.conftest import client_for
from tests.factories import CustomerFactory, UserFactory, make_token

EVENTS = "/api/v1/events/"
CUSTOMERS = "/api/v1/customers/"
EVENT = {"customer": "crm-1", "type": "ticket.opened"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def customer():
    return CustomerFactory(external_id="crm-1")


def post_event(client: APIClient):
    return client.post(EVENTS, data=json.dumps(EVENT), content_type="application/json")


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_no_authorization_header_answers_401(api_client):
    response = post_event(api_client)

    assert response.status_code == 401
    assert {"detail", "code"} <= set(response.json())
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-token", "Bearer abc.def", "Bearer ", "Bearer a b", "Token whatever"],
)
def test_bad_token_answers_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = post_event(client)

    assert response.status_code == 401
    assert not Event.objects.exists()


def test_token_with_wrong_secret_for_a_real_prefix_answers_401():
    key = make_token("events:write")
    prefix = key.split(".")[0]

    response = post_event(bearer(f"{prefix}.{'x' * 32}"))

    assert response.status_code == 401
    assert not Event.objects.exists()


def test_revoked_token_answers_401():
    key = make_token("events:write")
    assert post_event(bearer(key)).status_code == 202
    ApiToken.objects.update(revoked=True)

    response = post_event(bearer(key))

    assert response.status_code == 401
    assert Event.objects.count() == 1


def test_token_of_inactive_user_answers_401():
    user = UserFactory(username="gone", is_active=False)

    response = post_event(client_for("events:write", user=user))

    assert response.status_code == 401


def test_token_without_events_write_answers_403_on_post_events():
    response = post_event(client_for("runs:read", "customers:write"))

    assert response.status_code == 403
    assert "events:write" in response.json()["detail"]
    assert response.json()["code"]
    assert not Event.objects.exists()


def test_runs_read_token_cannot_post_or_read_customers():
    client = client_for("runs:read")

    posted = client.post(
        CUSTOMERS,
        data=json.dumps({"external_id": "crm-2", "name": "Two"}),
        content_type="application/json",
    )
    read = client.get(f"{CUSTOMERS}crm-1/")

    assert posted.status_code == 403
    assert read.status_code == 403
    assert not Customer.objects.filter(external_id="crm-2").exists()


def test_customers_read_token_cannot_write_customers():
    response = client_for("customers:read").post(
        CUSTOMERS,
        data=json.dumps({"external_id": "crm-1", "name": "Renamed"}),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert Customer.objects.get(external_id="crm-1").name != "Renamed"


def run_create_token(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_token_prints_the_token_alone_on_the_last_line_and_it_works():
    out, _ = run_create_token("--name", "zendesk", "--scopes", "events:write, runs:read")

    key = out.strip().splitlines()[-1]
    assert key == key.strip() and " " not in key
    token = ApiToken.objects.get(name="zendesk")
    assert token.scopes == ["events:write", "runs:read"]
    assert token.user is None
    assert post_event(bearer(key)).status_code == 202


def test_create_token_with_user_ties_the_token_to_that_user():
    ana = UserFactory(username="ana")

    out, _ = run_create_token("--name", "ana-cli", "--scopes", "customers:read", "--user", "ana")

    key = out.strip().splitlines()[-1]
    assert ApiToken.objects.get(name="ana-cli").user == ana
    assert bearer(key).get(f"{CUSTOMERS}crm-1/").status_code == 200
    assert post_event(bearer(key)).status_code == 403


@pytest.mark.parametrize(
    "args",
    [
        ("--scopes", "events:write,admin:all"),
        ("--scopes", "nonsense"),
        ("--scopes", " , "),
        ("--scopes", "events:write", "--user", "nobody"),
    ],
    ids=["one-unknown-scope", "only-unknown-scope", "no-scope", "unknown-user"],
)
def test_create_token_refuses_bad_arguments_and_stores_nothing(args):
    with pytest.raises(CommandError):
        run_create_token("--name", "bad", *args)

    assert not ApiToken.objects.filter(name="bad").exists()


def test_token_secret_is_not_stored_only_its_hash():
    out, _ = run_create_token("--name", "hashed", "--scopes", "events:write")
    key = out.strip().splitlines()[-1]
    prefix, secret = key.split(".", 1)

    token = ApiToken.objects.get(name="hashed")
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert token.prefix == prefix
    assert token.hashed_key and token.hashed_key != key
    assert not any(secret in value for value in stored)
    assert not any(key in value for value in stored)
    assert ApiToken.objects.get_from_key(key) == token
