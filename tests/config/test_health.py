"""/healthz, /readyz against the real database and broker, and the OpenAPI schema and docs."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings

from config import health

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_answers_200(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_200_with_database_and_broker_up(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ok", "checks": {"database": True, "broker": True}}


def _assert_broker_unavailable(client, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="config.health"):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": True, "broker": False},
    }
    # The failure came from the broker check itself, not from something else.
    assert any(r.getMessage() == "readyz.broker_unreachable" for r in caplog.records)


def test_readyz_answers_503_when_a_redis_broker_is_unreachable(client, caplog, monkeypatch):
    conf = health.celery_app.conf
    # Celery reads CELERY_BROKER_URL from the environment before its own setting, so both
    # must point at the closed port for the check to really try it.
    monkeypatch.setenv("CELERY_BROKER_URL", UNREACHABLE_REDIS)
    original = conf.get("broker_url")
    conf.broker_url = UNREACHABLE_REDIS
    try:
        with health.celery_app.connection_for_write() as conn:
            assert (conn.transport.driver_type, conn.port) == ("redis", 1)
        _assert_broker_unavailable(client, caplog)
    finally:
        conf.broker_url = original
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200


def test_readyz_answers_503_when_the_file_broker_folders_are_missing(
    client, caplog, monkeypatch, tmp_path
):
    conf = health.celery_app.conf
    missing = tmp_path / "no-such-broker"
    monkeypatch.setenv("CELERY_BROKER_URL", "filesystem://")
    original_url, original_options = conf.get("broker_url"), conf.broker_transport_options
    conf.broker_url = "filesystem://"
    conf.broker_transport_options = {
        "data_folder_in": str(missing / "queue"),
        "data_folder_out": str(missing / "queue"),
        "processed_folder": str(missing / "processed"),
    }
    try:
        with health.celery_app.connection_for_write() as conn:
            assert conn.transport.driver_type == "filesystem"
        _assert_broker_unavailable(client, caplog)
        for sub in ("queue", "processed"):
            (missing / sub).mkdir(parents=True)
        assert client.get("/readyz").status_code == 200
    finally:
        conf.broker_url = original_url
        conf.broker_transport_options = original_options
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200


def test_readyz_answers_503_when_the_configured_broker_is_down(client, caplog, monkeypatch):
    """Whichever broker this run is configured with, make that transport fail."""
    conf = health.celery_app.conf
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        original = conf.broker_transport_options
        conf.broker_transport_options = {**original, "data_folder_in": "/nonexistent/queue"}
        try:
            _assert_broker_unavailable(client, caplog)
        finally:
            conf.broker_transport_options = original
    else:
        monkeypatch.setenv("CELERY_BROKER_URL", UNREACHABLE_REDIS)
        original = conf.get("broker_url")
        conf.broker_url = UNREACHABLE_REDIS
        try:
            _assert_broker_unavailable(client, caplog)
        finally:
            conf.broker_url = original
        monkeypatch.undo()
    assert client.get("/readyz").status_code == 200


def test_schema_is_openapi_listing_the_api_paths(client):
    response = client.get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/events/",
        "/api/v1/events/batch/",
        "/api/v1/customers/",
        "/api/v1/customers/{external_id}/",
        "/api/v1/play-runs/",
        "/api/v1/play-runs/{id}/",
    ):
        assert path in paths, sorted(paths)
    assert "post" in paths["/api/v1/events/"]
    assert {"202", "200", "400", "413", "422"} <= set(paths["/api/v1/events/"]["post"]["responses"])


def test_docs_answer_200_html(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"swagger" in response.content.lower()
