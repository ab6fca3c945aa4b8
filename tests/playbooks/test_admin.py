"""The Django admin is the operator console: every page renders, actions go through services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from playbooks.models import Play, Playbook
from tests.factories import PlayRunFactory, PlayStepFactory, RunStepFactory

pytestmark = pytest.mark.django_db

REGISTERED = [
    model for model in admin.site._registry if model._meta.app_label in {"journeys", "playbooks"}
]


@pytest.fixture
def some_data():
    run = PlayRunFactory()
    RunStepFactory(run=run)
    PlayStepFactory(play=run.play)
    return run


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_changelist_and_change_page_render_for_every_model(admin_client, some_data, model):
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    obj = model.objects.first()
    if obj is not None:
        change = admin_client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        )
        assert change.status_code == 200


def test_publish_action_publishes_and_records_history(admin_client, some_data):
    playbook = some_data.play.playbook
    Playbook.objects.filter(pk=playbook.pk).update(status=Playbook.Status.DRAFT)

    response = admin_client.post(
        reverse("admin:playbooks_playbook_changelist"),
        {"action": "publish", "_selected_action": [playbook.pk]},
        follow=True,
    )

    assert response.status_code == 200
    playbook.refresh_from_db()
    assert playbook.status == Playbook.Status.PUBLISHED
    assert playbook.history.first().history_change_reason == "status set to published"


def test_play_with_an_invalid_condition_is_refused_with_the_reason(admin_client, some_data):
    play = some_data.play
    url = reverse("admin:playbooks_play_change", args=[play.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {
        name: (value.pk if hasattr(value, "pk") else value)
        for name, value in form.initial.items()
        if value is not None and name in form.fields
    }
    data.update(
        {
            "condition": "customer.arr >=",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200  # the form again, with the error
    assert "syntax error" in response.content.decode()
    play.refresh_from_db()
    assert play.condition == ""
    assert Play.objects.count() == 1
