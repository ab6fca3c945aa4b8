"""Who a run goes to: the customer's owner, a team's queue, round robin in a team, or a user."""

from __future__ import annotations

from dataclasses import dataclass

from journeys.models import Customer, Team
from playbooks.models import Play, RoundRobinCursor


@dataclass(frozen=True)
class Assignment:
    assignee_id: int | None
    team_id: int | None


class RoundRobin:
    """Round robin for one batch: cursors are locked once (pk order) and saved once."""

    def __init__(self, plays: list[Play]) -> None:
        team_ids = sorted({p.assign_team_id for p in plays if p.assign == Play.Assign.ROUND_ROBIN})
        self._members: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
        self._cursors: dict[int, RoundRobinCursor] = {}
        self._moved: set[int] = set()
        if not team_ids:
            return
        through = Team.members.through
        for team_id, user_id in (
            through.objects.filter(team_id__in=team_ids, user__is_active=True)
            .order_by("team_id", "user_id")
            .values_list("team_id", "user_id")
        ):
            self._members[team_id].append(user_id)
        RoundRobinCursor.objects.bulk_create(
            [RoundRobinCursor(team_id=team_id) for team_id in team_ids], ignore_conflicts=True
        )
        self._cursors = {
            cursor.team_id: cursor
            for cursor in RoundRobinCursor.objects.filter(team_id__in=team_ids)
            .order_by("pk")
            .select_for_update()
        }

    def next_member(self, team_id: int) -> int | None:
        members = self._members.get(team_id) or []
        if not members:
            return None  # an empty team leaves the run in the team's queue
        cursor = self._cursors[team_id]
        member = members[cursor.position % len(members)]
        cursor.position = (cursor.position + 1) % len(members)
        self._moved.add(team_id)
        return member

    def save(self) -> None:
        if self._moved:
            RoundRobinCursor.objects.bulk_update(
                [self._cursors[team_id] for team_id in self._moved], ["position"]
            )


def assign(*, play: Play, customer: Customer, round_robin: RoundRobin) -> Assignment:
    match play.assign:
        case Play.Assign.OWNER:
            return Assignment(assignee_id=customer.owner_id, team_id=customer.team_id)
        case Play.Assign.TEAM:
            return Assignment(assignee_id=None, team_id=play.assign_team_id)
        case Play.Assign.ROUND_ROBIN:
            return Assignment(
                assignee_id=round_robin.next_member(play.assign_team_id),
                team_id=play.assign_team_id,
            )
        case Play.Assign.USER:
            return Assignment(assignee_id=play.assign_user_id, team_id=None)
    raise ValueError(f"unknown assignment rule {play.assign!r}")
