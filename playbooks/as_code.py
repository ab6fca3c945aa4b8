"""Playbooks as code: import and export teams, journeys and playbooks as YAML (DESIGN.md §4).

Import validates the whole file before writing anything, then writes it in one transaction;
every problem names the line and the key path. It is an upsert by key: importing the same file
twice changes nothing, and a playbook's version goes up only when its content changed. A play's
steps are replaced by the file's. Plays, touchpoints and stages missing from the file are
deleted only when nothing refers to them (runs, hits); otherwise they stay, and the summary
says how many were kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError

from journeys.conditions import InvalidCondition, validate_condition
from journeys.models import Department, Journey, Stage, Team, Touchpoint
from playbooks.actions import validate_action
from playbooks.exceptions import PlaybookInvalid
from playbooks.models import Play, Playbook, PlayStep

User = get_user_model()

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
DURATION = re.compile(r"^(\d+)\s*([mhd])$")
UNIT_MINUTES = {"d": 24 * 60, "h": 60, "m": 1}
EVENT_TYPE = re.compile(r"^[A-Za-z0-9_.:-]+$")

TOP_KEYS = {"teams", "journey", "journeys", "playbooks"}
TEAM_KEYS = {"key", "name", "department", "members"}
JOURNEY_KEYS = {"key", "name", "description", "stages"}
STAGE_KEYS = {"key", "name", "department", "touchpoints"}
TOUCHPOINT_KEYS = {"key", "name", "event", "when"}
PLAYBOOK_KEYS = {"key", "name", "description", "status", "plays"}
PLAY_KEYS = {
    "key",
    "name",
    "touchpoint",
    "department",
    "assign",
    "due",
    "delay",
    "when",
    "steps",
    "action",
}
STEP_KEYS = {"title", "required"}


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    kept_in_use: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: str, kind: str) -> None:
        counts = getattr(self, bucket)
        counts[kind] = counts.get(kind, 0) + 1

    def __str__(self) -> str:
        def fmt(counts: dict[str, int]) -> str:
            return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "nothing"

        text = f"created {fmt(self.created)}; updated {fmt(self.updated)}"
        if self.kept_in_use:
            text += f"; kept (still referenced, no longer in the file) {fmt(self.kept_in_use)}"
        return text


# --- parsing with line numbers ----------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping (as `__line__`)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    keys = [key_node.value for key_node, _ in node.value]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        raise PlaybookInvalid(
            f"line {node.start_mark.line + 1}: key {sorted(duplicates)[0]!r} appears twice"
        )
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Checker:
    """Collects the validated plan; raises PlaybookInvalid at the first problem."""

    def fail(self, node: Any, path: str, message: str) -> None:
        line = node.get("__line__") if isinstance(node, dict) else None
        where = f"line {line}: " if line else ""
        raise PlaybookInvalid(f"{where}{path}: {message}")

    def mapping(self, node: Any, path: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(node, dict):
            self.fail(None, path, f"expected a mapping, got {type(node).__name__}")
        unknown = set(node) - allowed - {"__line__"}
        if unknown:
            self.fail(node, path, f"unknown key(s) {', '.join(sorted(unknown))}")
        missing = sorted(required - set(node))
        if missing:
            self.fail(node, path, f"missing {', '.join(missing)}")
        return node

    def slug(self, node: dict, path: str, key: str) -> str:
        value = node.get(key)
        if not isinstance(value, str) or not SLUG.match(value):
            self.fail(node, path, f"{key} must be a slug (letters, digits, - and _), got {value!r}")
        return value

    def text(self, node: dict, path: str, key: str, default: str | None = None) -> str:
        value = node.get(key, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(node, path, f"{key} must be a non-empty string")
        return value

    def items(self, node: Any, path: str) -> list:
        if node is None:
            return []
        if not isinstance(node, list):
            self.fail(None, path, "expected a list")
        return node


def parse_duration(value: Any) -> int | None:
    """'2d' → 2880 minutes; None when not a duration."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = DURATION.match(str(value).strip()) if isinstance(value, str) else None
    if not match:
        return None
    return int(match.group(1)) * UNIT_MINUTES[match.group(2)]


def format_duration(minutes: int) -> str:
    for unit in ("d", "h"):
        if minutes and minutes % UNIT_MINUTES[unit] == 0:
            return f"{minutes // UNIT_MINUTES[unit]}{unit}"
    return f"{minutes}m"


# --- import ------------------------------------------------------------------------------------


def import_playbooks(*, text: str) -> ImportSummary:
    """Validate the whole document, then upsert it in one transaction."""
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}: " if mark else ""
        raise PlaybookInvalid(f"{line}not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise PlaybookInvalid(f"not valid YAML: {exc}") from None
    check = _Checker()
    if document is None:
        raise PlaybookInvalid("the file is empty: nothing to import")
    document = check.mapping(document, "document", TOP_KEYS, set())
    if "journey" in document and "journeys" in document:
        check.fail(document, "document", "use either journey or journeys, not both")

    teams = [
        _check_team(check, t, f"teams[{i}]")
        for i, t in enumerate(check.items(document.get("teams"), "teams"))
    ]
    journeys_in = (
        check.items(document.get("journeys"), "journeys")
        if "journeys" in document
        else ([document["journey"]] if document.get("journey") is not None else [])
    )
    journeys = [
        _check_journey(check, j, f"journeys[{i}]" if "journeys" in document else "journey")
        for i, j in enumerate(journeys_in)
    ]
    _unique(check, [(j["key"], j) for j in journeys], "journey")
    touchpoints_in_file = {
        tp["key"] for j in journeys for s in j["stages"] for tp in s["touchpoints"]
    }
    _unique(
        check,
        [(tp["key"], tp) for j in journeys for s in j["stages"] for tp in s["touchpoints"]],
        "touchpoint",
    )
    teams_in_file = {t["key"] for t in teams}
    _unique(check, [(t["key"], t) for t in teams], "team")
    members_in_file = {member for t in teams for member in t["members"]}
    playbooks = [
        _check_playbook(
            check, p, f"playbooks[{i}]", touchpoints_in_file, teams_in_file, members_in_file
        )
        for i, p in enumerate(check.items(document.get("playbooks"), "playbooks"))
    ]
    _unique(check, [(p["key"], p) for p in playbooks], "playbook")

    summary = ImportSummary()
    with transaction.atomic():
        departments = _departments(
            {t["department"] for t in teams}
            | {s["department"] for j in journeys for s in j["stages"]}
            | {pl["department"] for p in playbooks for pl in p["plays"]},
            summary,
        )
        for team in teams:
            _write_team(team, departments, summary)
        for journey in journeys:
            _write_journey(journey, departments, summary)
        for playbook in playbooks:
            _write_playbook(playbook, departments, summary)
    return summary


def _unique(check: _Checker, pairs: list[tuple[str, dict]], kind: str) -> None:
    seen: set[str] = set()
    for key, node in pairs:
        if key in seen:
            check.fail(node, kind, f"{kind} key {key!r} is used twice in this file")
        seen.add(key)


def _check_team(check: _Checker, node: Any, path: str) -> dict:
    node = check.mapping(node, path, TEAM_KEYS, {"key", "name", "department"})
    members = check.items(node.get("members"), f"{path}.members")
    for member in members:
        if not isinstance(member, str) or not re.match(r"^[\w.@+-]+$", member):
            check.fail(node, f"{path}.members", f"{member!r} is not a valid username")
    return {
        "key": check.slug(node, path, "key"),
        "name": check.text(node, path, "name"),
        "department": check.slug(node, path, "department"),
        "members": list(members),
    }


def _check_journey(check: _Checker, node: Any, path: str) -> dict:
    node = check.mapping(node, path, JOURNEY_KEYS, {"key", "name", "stages"})
    stages = []
    for i, stage in enumerate(check.items(node["stages"], f"{path}.stages")):
        spath = f"{path}.stages[{i}]"
        stage = check.mapping(stage, spath, STAGE_KEYS, {"key", "name", "department"})
        touchpoints = []
        for k, tp in enumerate(check.items(stage.get("touchpoints"), f"{spath}.touchpoints")):
            tpath = f"{spath}.touchpoints[{k}]"
            tp = check.mapping(tp, tpath, TOUCHPOINT_KEYS, {"key", "name", "event"})
            event = tp["event"]
            if not isinstance(event, str) or not EVENT_TYPE.match(event):
                check.fail(
                    tp, tpath, f"event must be an event type such as ticket.opened, got {event!r}"
                )
            when = _check_condition(check, tp, tpath)
            touchpoints.append(
                {
                    "key": check.slug(tp, tpath, "key"),
                    "name": check.text(tp, tpath, "name"),
                    "event": event,
                    "when": when,
                }
            )
        stages.append(
            {
                "key": check.slug(stage, spath, "key"),
                "name": check.text(stage, spath, "name"),
                "department": check.slug(stage, spath, "department"),
                "touchpoints": touchpoints,
            }
        )
    _unique(check, [(s["key"], node) for s in stages], "stage")
    return {
        "key": check.slug(node, path, "key"),
        "name": check.text(node, path, "name"),
        "description": node.get("description") or "",
        "stages": stages,
    }


def _check_condition(check: _Checker, node: dict, path: str) -> str:
    when = node.get("when") or ""
    if not isinstance(when, str):
        check.fail(node, path, "when must be a string")
    try:
        validate_condition(when)
    except InvalidCondition as exc:
        check.fail(node, path, f"invalid condition: {exc}")
    return when


def _check_playbook(
    check: _Checker,
    node: Any,
    path: str,
    touchpoints_in_file: set[str],
    teams_in_file: set[str],
    members_in_file: set[str],
) -> dict:
    node = check.mapping(node, path, PLAYBOOK_KEYS, {"key", "name"})
    status = node.get("status", Playbook.Status.DRAFT)
    if status not in Playbook.Status.values:
        check.fail(node, path, f"status must be one of {', '.join(Playbook.Status.values)}")
    plays = []
    for i, play in enumerate(check.items(node.get("plays"), f"{path}.plays")):
        ppath = f"{path}.plays[{i}]"
        play = check.mapping(
            play, ppath, PLAY_KEYS, {"key", "name", "touchpoint", "department", "assign", "due"}
        )
        ppath = f"{ppath} ({play.get('key')})"
        plays.append(
            _check_play(check, play, ppath, touchpoints_in_file, teams_in_file, members_in_file)
        )
    _unique(check, [(p["key"], node) for p in plays], "play")
    return {
        "key": check.slug(node, path, "key"),
        "name": check.text(node, path, "name"),
        "description": node.get("description") or "",
        "status": status,
        "plays": plays,
    }


def _check_play(
    check: _Checker,
    node: dict,
    path: str,
    touchpoints_in_file: set[str],
    teams_in_file: set[str],
    members_in_file: set[str],
) -> dict:
    touchpoint = check.slug(node, path, "touchpoint")
    if (
        touchpoint not in touchpoints_in_file
        and not Touchpoint.objects.filter(key=touchpoint).exists()
    ):
        check.fail(node, path, f"unknown touchpoint {touchpoint!r}")
    assign = node["assign"]
    rule, _, target = str(assign).partition(":")
    plan: dict[str, Any] = {"assign": rule, "assign_team": None, "assign_user": None}
    if rule == "owner" and not target:
        pass
    elif rule in {"team", "round-robin"} and target:
        if target not in teams_in_file and not Team.objects.filter(key=target).exists():
            check.fail(node, path, f"unknown team {target!r} in assign")
        plan["assign_team"] = target
    elif rule == "user" and target:
        if target not in members_in_file and not User.objects.filter(username=target).exists():
            check.fail(node, path, f"unknown user {target!r} in assign")
        plan["assign_user"] = target
    else:
        check.fail(
            node,
            path,
            f"assign must be owner, team:<key>, round-robin:<team key> or user:<username>, "
            f"got {assign!r}",
        )
    durations = {}
    for key, default in (("due", None), ("delay", 0)):
        raw = node.get(key, default)
        minutes = parse_duration(raw)
        if minutes is None:
            check.fail(node, path, f"{key} must be a duration such as 30m, 4h or 2d, got {raw!r}")
        durations[key] = minutes
    action = node.get("action")
    if action is not None:
        try:
            validate_action(
                {k: v for k, v in action.items() if k != "__line__"}
                if isinstance(action, dict)
                else action
            )
        except ValueError as exc:
            check.fail(node, path, f"invalid action: {exc}")
        action = {k: v for k, v in action.items() if k != "__line__"}
    steps = []
    for i, step in enumerate(check.items(node.get("steps"), f"{path}.steps")):
        spath = f"{path}.steps[{i}]"
        step = check.mapping(step, spath, STEP_KEYS, {"title"})
        required = step.get("required", False)
        if not isinstance(required, bool):
            check.fail(step, spath, "required must be true or false")
        steps.append({"title": check.text(step, spath, "title"), "required": required})
    return {
        "key": check.slug(node, path, "key"),
        "name": check.text(node, path, "name"),
        "touchpoint": touchpoint,
        "department": check.slug(node, path, "department"),
        "due_minutes": durations["due"],
        "delay_minutes": durations["delay"],
        "condition": _check_condition(check, node, path),
        "action": action,
        "steps": steps,
        **plan,
    }


def _departments(keys: set[str], summary: ImportSummary) -> dict[str, Department]:
    existing = {d.key: d for d in Department.objects.filter(key__in=keys)}
    for key in sorted(keys - existing.keys()):
        existing[key] = Department.objects.create(key=key, name=key.replace("-", " ").title())
        summary.count("created", "departments")
    return existing


def _upsert(model: type, lookup: dict, values: dict, summary: ImportSummary, kind: str) -> Any:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        summary.count("created", kind)
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save()
        summary.count("updated", kind)
    return obj


def _write_team(team: dict, departments: dict, summary: ImportSummary) -> None:
    obj = _upsert(
        Team,
        {"key": team["key"]},
        {"name": team["name"], "department": departments[team["department"]]},
        summary,
        "teams",
    )
    users = []
    for username in team["members"]:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            user.set_unusable_password()  # can log in once an admin sets a password
            user.save()
            summary.count("created", "users")
        users.append(user)
    if {u.pk for u in obj.members.all()} != {u.pk for u in users}:
        obj.members.set(users)
        summary.count("updated", "team members")


def _write_journey(journey: dict, departments: dict, summary: ImportSummary) -> None:
    obj = _upsert(
        Journey,
        {"key": journey["key"]},
        {"name": journey["name"], "description": journey["description"]},
        summary,
        "journeys",
    )
    kept_stages = []
    for position, stage in enumerate(journey["stages"]):
        stage_obj = _upsert(
            Stage,
            {"journey": obj, "key": stage["key"]},
            {
                "name": stage["name"],
                "department": departments[stage["department"]],
                "position": position,
            },
            summary,
            "stages",
        )
        kept_stages.append(stage_obj.pk)
        kept_touchpoints = []
        for tp_position, tp in enumerate(stage["touchpoints"]):
            tp_obj = _upsert(
                Touchpoint,
                {"key": tp["key"]},
                {
                    "stage": stage_obj,
                    "name": tp["name"],
                    "event_type": tp["event"],
                    "condition": tp["when"],
                    "position": tp_position,
                },
                summary,
                "touchpoints",
            )
            kept_touchpoints.append(tp_obj.pk)
        _delete_unreferenced(
            Touchpoint.objects.filter(stage=stage_obj).exclude(pk__in=kept_touchpoints),
            summary,
            "touchpoints",
        )
    _delete_unreferenced(
        Stage.objects.filter(journey=obj).exclude(pk__in=kept_stages), summary, "stages"
    )


def _delete_unreferenced(queryset: Any, summary: ImportSummary, kind: str) -> None:
    for obj in queryset:
        try:
            with transaction.atomic():
                obj.delete()
            summary.count("updated", f"{kind} removed")
        except ProtectedError:
            summary.count("kept_in_use", kind)


def _play_content(play: Play) -> dict:
    return {
        "name": play.name,
        "touchpoint": play.touchpoint.key,
        "department": play.department.key,
        "assign": play.assign,
        "assign_team": play.assign_team.key if play.assign_team else None,
        "assign_user": play.assign_user.username if play.assign_user else None,
        "due_minutes": play.due_minutes,
        "delay_minutes": play.delay_minutes,
        "condition": play.condition,
        "action": play.action,
        "steps": [{"title": s.title, "required": s.required} for s in play.steps.all()],
    }


def _write_playbook(playbook: dict, departments: dict, summary: ImportSummary) -> None:
    obj = Playbook.objects.filter(key=playbook["key"]).first()
    created = obj is None
    if created:
        obj = Playbook.objects.create(
            key=playbook["key"],
            name=playbook["name"],
            description=playbook["description"],
            status=playbook["status"],
        )
        summary.count("created", "playbooks")
    changed = not created and (obj.name, obj.description, obj.status) != (
        playbook["name"],
        playbook["description"],
        playbook["status"],
    )
    existing = {
        p.key: p
        for p in obj.plays.select_related(
            "touchpoint", "department", "assign_team", "assign_user"
        ).prefetch_related("steps")
    }
    for position, play in enumerate(playbook["plays"]):
        wanted = {
            "name": play["name"],
            "touchpoint": play["touchpoint"],
            "department": play["department"],
            "assign": play["assign"],
            "assign_team": play["assign_team"],
            "assign_user": play["assign_user"],
            "due_minutes": play["due_minutes"],
            "delay_minutes": play["delay_minutes"],
            "condition": play["condition"],
            "action": play["action"],
            "steps": play["steps"],
        }
        current = existing.pop(play["key"], None)
        if (
            current is not None
            and _play_content(current) == wanted
            and current.position == position
        ):
            continue
        values = {
            "name": play["name"],
            "touchpoint": Touchpoint.objects.get(key=play["touchpoint"]),
            "department": departments[play["department"]],
            "assign": play["assign"],
            "assign_team": Team.objects.get(key=play["assign_team"])
            if play["assign_team"]
            else None,
            "assign_user": User.objects.get(username=play["assign_user"])
            if play["assign_user"]
            else None,
            "due_minutes": play["due_minutes"],
            "delay_minutes": play["delay_minutes"],
            "condition": play["condition"],
            "action": play["action"],
            "position": position,
        }
        if current is None:
            current = Play.objects.create(playbook=obj, key=play["key"], **values)
            summary.count("created", "plays")
        else:
            for name, value in values.items():
                setattr(current, name, value)
            current.save()
            current.steps.all().delete()
            summary.count("updated", "plays")
        PlayStep.objects.bulk_create(
            [
                PlayStep(play=current, position=i, title=s["title"], required=s["required"])
                for i, s in enumerate(play["steps"])
            ]
        )
        changed = True
    for leftover in existing.values():
        try:
            with transaction.atomic():
                leftover.delete()
            summary.count("updated", "plays removed")
            changed = True
        except ProtectedError:
            summary.count("kept_in_use", "plays")
    if changed and not created:
        obj.name, obj.description, obj.status = (
            playbook["name"],
            playbook["description"],
            playbook["status"],
        )
        obj.version += 1
        obj.save()
        summary.count("updated", "playbooks")


# --- export ------------------------------------------------------------------------------------


def export_playbooks() -> str:
    """The whole configuration in the import format, defaults left out, stable order."""
    document: dict[str, Any] = {}
    teams = [
        {
            "key": t.key,
            "name": t.name,
            "department": t.department.key,
            "members": sorted(u.username for u in t.members.all()),
        }
        for t in Team.objects.select_related("department")
        .prefetch_related("members")
        .order_by("key")
    ]
    for team in teams:
        if not team["members"]:
            del team["members"]
    if teams:
        document["teams"] = teams
    journeys = []
    for journey in Journey.objects.order_by("key").prefetch_related(
        "stages__department", "stages__touchpoints"
    ):
        entry: dict[str, Any] = {"key": journey.key, "name": journey.name}
        if journey.description:
            entry["description"] = journey.description
        entry["stages"] = []
        for stage in sorted(journey.stages.all(), key=lambda s: (s.position, s.id)):
            stage_entry: dict[str, Any] = {
                "key": stage.key,
                "name": stage.name,
                "department": stage.department.key,
            }
            touchpoints = []
            for tp in sorted(stage.touchpoints.all(), key=lambda t: (t.position, t.id)):
                tp_entry = {"key": tp.key, "name": tp.name, "event": tp.event_type}
                if tp.condition:
                    tp_entry["when"] = tp.condition
                touchpoints.append(tp_entry)
            if touchpoints:
                stage_entry["touchpoints"] = touchpoints
            entry["stages"].append(stage_entry)
        journeys.append(entry)
    if len(journeys) == 1:
        document["journey"] = journeys[0]
    elif journeys:
        document["journeys"] = journeys
    playbooks = []
    for playbook in Playbook.objects.order_by("key").prefetch_related(
        "plays__touchpoint",
        "plays__department",
        "plays__assign_team",
        "plays__assign_user",
        "plays__steps",
    ):
        entry = {"key": playbook.key, "name": playbook.name}
        if playbook.description:
            entry["description"] = playbook.description
        entry["status"] = playbook.status
        entry["plays"] = [
            _export_play(p) for p in sorted(playbook.plays.all(), key=lambda p: (p.position, p.id))
        ]
        playbooks.append(entry)
    if playbooks:
        document["playbooks"] = playbooks
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _export_play(play: Play) -> dict[str, Any]:
    assign = {
        Play.Assign.OWNER: lambda: "owner",
        Play.Assign.TEAM: lambda: f"team:{play.assign_team.key}",
        Play.Assign.ROUND_ROBIN: lambda: f"round-robin:{play.assign_team.key}",
        Play.Assign.USER: lambda: f"user:{play.assign_user.username}",
    }[play.assign]()
    entry: dict[str, Any] = {
        "key": play.key,
        "name": play.name,
        "touchpoint": play.touchpoint.key,
        "department": play.department.key,
        "assign": assign,
        "due": format_duration(play.due_minutes),
    }
    if play.delay_minutes:
        entry["delay"] = format_duration(play.delay_minutes)
    if play.condition:
        entry["when"] = play.condition
    steps = []
    for step in sorted(play.steps.all(), key=lambda s: (s.position, s.id)):
        step_entry: dict[str, Any] = {"title": step.title}
        if step.required:
            step_entry["required"] = True
        steps.append(step_entry)
    if steps:
        entry["steps"] = steps
    if play.action:
        entry["action"] = play.action
    return entry
