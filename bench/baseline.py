"""The ingest baseline: a plain DRF CreateAPIView that only inserts the event row.

No authentication, no idempotency, no queueing: a ModelSerializer (which checks that the
customer id exists) and one INSERT into the same journeys Event table our endpoint writes.
"""

from __future__ import annotations

from rest_framework import generics, permissions, serializers

from journeys.models import Event


class BaselineEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "customer", "type", "occurred_at", "source", "data"]


class BaselineEventCreateView(generics.CreateAPIView):
    serializer_class = BaselineEventSerializer
    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]
