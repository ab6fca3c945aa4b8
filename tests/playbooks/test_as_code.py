"""Playbooks as code: YAML import validates everything first, upserts, and round-trips."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from journeys.models import Department, Journey, Stage, Team, Touchpoint
from playbooks.as_code import export_playbooks, format_duration, import_playbooks, parse_duration
from playbooks.exceptions import PlaybookInvalid
from playbooks.models import Play, Playbook, PlayStep

pytestmark = pytest.mark.django_db

EXAMPLE = (Path(__file__).parent / "fixtures" / "example.yaml").read_text()
MODELS = [Department, Team, Journey, Stage, Touchpoint, Playbook, Play, PlayStep, get_user_model()]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def wipe() -> None:
    for model in (PlayStep, Play, Playbook, Touchpoint, Stage, Journey, Team, Department):
        model.objects.all().delete()
    get_user_model().objects.all().delete()


def test_example_from_the_design_imports_with_every_field():
    import_playbooks(text=EXAMPLE)

    kickoff = Play.objects.get(key="kickoff-call")
    assert kickoff.playbook.status == Playbook.Status.PUBLISHED
    assert kickoff.touchpoint.event_type == "contract.signed"
    assert (kickoff.assign, kickoff.due_minutes, kickoff.delay_minutes) == ("owner", 2880, 0)
    assert kickoff.condition == 'customer.arr >= 50000 and customer.segment == "enterprise"'
    assert kickoff.action == {"type": "webhook", "url": "https://example.invalid/hook"}
    assert [(s.title, s.required) for s in kickoff.steps.order_by("position")] == [
        ("Send welcome pack", True),
        ("Hold kickoff call", True),
        ("Share success plan", False),
    ]
    welcome = Play.objects.get(key="welcome-queue")
    assert (welcome.assign, welcome.assign_team.key) == ("round-robin", "onboarding-crew")
    assert (welcome.due_minutes, welcome.delay_minutes) == (90, 120)
    assert Playbook.objects.get().version == 1


def test_new_team_members_are_created_without_a_usable_password():
    import_playbooks(text=EXAMPLE)

    team = Team.objects.get(key="onboarding-crew")
    members = sorted(team.members.all(), key=lambda u: u.username)
    assert [u.username for u in members] == ["ana", "ben"]
    assert not any(u.has_usable_password() for u in members)


@pytest.mark.parametrize(
    ("assign", "fields"),
    [
        ("owner", ("owner", None, None)),
        ("team:onboarding-crew", ("team", "onboarding-crew", None)),
        ("round-robin:onboarding-crew", ("round-robin", "onboarding-crew", None)),
        ("user:ana", ("user", None, "ana")),
    ],
)
def test_each_assignment_form_maps_to_the_play(assign, fields):
    get_user_model().objects.create(username="ana")
    import_playbooks(text=EXAMPLE.replace("assign: owner ", f"assign: {assign} "))

    play = Play.objects.get(key="kickoff-call")
    assert (
        play.assign,
        play.assign_team.key if play.assign_team else None,
        play.assign_user.username if play.assign_user else None,
    ) == fields


def test_export_then_import_into_an_empty_database_gives_identical_yaml():
    import_playbooks(text=EXAMPLE)
    first = export_playbooks()

    wipe()
    import_playbooks(text=first)

    assert export_playbooks() == first


def test_importing_the_same_file_twice_changes_nothing():
    import_playbooks(text=EXAMPLE)
    before = row_counts()

    summary = import_playbooks(text=EXAMPLE)

    assert row_counts() == before
    assert summary.created == {} and summary.updated == {}
    assert Playbook.objects.get().version == 1


def test_edited_play_replaces_its_steps_and_bumps_the_version():
    import_playbooks(text=EXAMPLE)
    edited = EXAMPLE.replace("{title: Share success plan}", "{title: Share a mutual plan}")

    import_playbooks(text=edited)

    play = Play.objects.get(key="kickoff-call")
    assert [s.title for s in play.steps.order_by("position")][-1] == "Share a mutual plan"
    assert PlayStep.objects.filter(play=play).count() == 3
    assert Playbook.objects.get().version == 2


def test_play_removed_from_the_file_is_deleted_when_it_never_ran():
    import_playbooks(text=EXAMPLE)
    without_welcome = EXAMPLE.split("      - key: welcome-queue")[0]

    import_playbooks(text=without_welcome)

    assert list(Play.objects.values_list("key", flat=True)) == ["kickoff-call"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("touchpoint: contract-signed\n", "touchpoint: contract-sined\n"),
            "line 17: playbooks[0].plays[0] (kickoff-call): unknown touchpoint 'contract-sined'",
        ),
        (("assign: owner ", "assign: boss "), "assign must be owner"),
        (("assign: owner ", "assign: team:nobody "), "unknown team 'nobody'"),
        (("assign: owner ", "assign: user:ghost "), "unknown user 'ghost'"),
        (("due: 2d", "due: two days"), "due must be a duration"),
        (("delay: 2h", "delay: 2w"), "delay must be a duration"),
        (
            ("when: customer.arr >= 50000", "when: customer.arr >>= 50000"),
            "(kickoff-call): invalid condition",
        ),
        (('url: "https://example.invalid/hook"', 'url: "ftp://x"'), "invalid action"),
        (("status: published", "status: live"), "status must be one of"),
        (("{title: Share success plan}", "{required: true}"), "missing title"),
        (("key: kickoff-call", "key: kickoff call"), "must be a slug"),
        (("key: welcome-queue", "key: kickoff-call"), "play key 'kickoff-call' is used twice"),
        (("journey:", "journy:"), "unknown key(s) journy"),
        (
            (
                "        steps:\n          - {title: Send",
                "        stepz:\n          - {title: Send",
            ),
            "unknown key(s) stepz",
        ),
        (
            ("name: Kickoff call", "name: Kickoff call\n        name: Again"),
            "key 'name' appears twice",
        ),
        (("teams:", "teams: [\n"), "not valid YAML"),
    ],
)
def test_invalid_file_is_rejected_naming_the_problem_and_stores_nothing(change, message):
    old, new = change
    assert old in EXAMPLE
    before = row_counts()

    with pytest.raises(PlaybookInvalid) as excinfo:
        import_playbooks(text=EXAMPLE.replace(old, new, 1))

    assert message in excinfo.value.detail
    assert row_counts() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("just a string", "expected a mapping, got str"),
        ("- a\n- list", "expected a mapping, got list"),
        ("playbooks: 3", "playbooks: expected a list"),
    ],
)
def test_documents_of_the_wrong_shape_are_rejected(text, message):
    with pytest.raises(PlaybookInvalid, match=message):
        import_playbooks(text=text)


@pytest.mark.parametrize(("text", "minutes"), [("30m", 30), ("4h", 240), ("2d", 2880), (15, 15)])
def test_durations_parse_to_minutes(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(("minutes", "text"), [(2880, "2d"), (120, "2h"), (90, "90m"), (0, "0m")])
def test_durations_export_in_the_largest_exact_unit(minutes, text):
    assert format_duration(minutes) == text


def test_import_command_prints_a_summary(tmp_path):
    path = tmp_path / "playbooks.yaml"
    path.write_text(EXAMPLE)
    out = StringIO()

    call_command("import_playbooks", str(path), stdout=out)

    assert "created" in out.getvalue()
    assert Play.objects.count() == 2


def test_import_command_fails_on_an_invalid_file_and_imports_nothing(tmp_path):
    path = tmp_path / "playbooks.yaml"
    path.write_text(EXAMPLE.replace("touchpoint: contract-signed\n", "touchpoint: nope\n", 1))

    with pytest.raises(CommandError, match=r"unknown touchpoint 'nope'.*nothing was imported"):
        call_command("import_playbooks", str(path))
    assert Play.objects.count() == 0


def test_import_command_names_a_missing_file():
    with pytest.raises(CommandError, match=r"cannot read /no/such\.yaml"):
        call_command("import_playbooks", "/no/such.yaml")


def test_export_command_writes_what_import_reads(tmp_path):
    import_playbooks(text=EXAMPLE)
    out = StringIO()

    call_command("export_playbooks", stdout=out)

    assert out.getvalue() == export_playbooks()
    assert "kickoff-call" in out.getvalue()
