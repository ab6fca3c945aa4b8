"""Reads over journey data, named for what they select."""

from __future__ import annotations

from datetime import datetime

from django.db import models


class CustomerQuerySet(models.QuerySet):
    def with_context(self) -> CustomerQuerySet:
        return self.select_related("owner", "team", "current_stage")


class EventQuerySet(models.QuerySet):
    def unprocessed(self) -> EventQuerySet:
        return self.filter(processed_at__isnull=True)

    def stale(self, *, queued_before: datetime) -> EventQuerySet:
        """Unprocessed, and last queued (accepted or re-queued: updated_at) before then."""
        return self.unprocessed().filter(updated_at__lt=queued_before)
