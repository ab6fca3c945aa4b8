"""Reads over playbooks and runs, named for what they select."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

OPS_ADMIN_GROUP = "ops-admin"


def is_ops_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return user.groups.filter(name=OPS_ADMIN_GROUP).exists()


class PlayQuerySet(models.QuerySet):
    def live(self) -> PlayQuerySet:
        """Plays that fire: those of published playbooks."""
        return self.filter(playbook__status="published")

    def for_event_types(self, event_types: set[str]) -> PlayQuerySet:
        return self.filter(touchpoint__event_type__in=event_types)


class PlayRunQuerySet(models.QuerySet):
    def with_details(self) -> PlayRunQuerySet:
        return self.select_related(
            "play__playbook", "customer", "hit__touchpoint", "assignee", "team"
        ).prefetch_related("steps__done_by")

    def open(self) -> PlayRunQuerySet:
        return self.filter(status="open")

    def overdue(self, now: datetime) -> PlayRunQuerySet:
        return self.open().filter(due_at__lt=now)

    def due_to_fire(self, now: datetime) -> PlayRunQuerySet:
        return self.filter(status="scheduled", fire_at__lte=now)

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> PlayRunQuerySet:
        """A person sees their own runs and their teams' runs; ops admins see all."""
        if getattr(user, "is_integration", False) or is_ops_admin(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(assignee=user) | Q(team__in=user.teams.values("id")))
