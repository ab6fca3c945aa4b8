"""REST endpoints for play runs (read, and work through commands) and customer timelines."""

from __future__ import annotations

from typing import Any

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from journeys.authentication import HasScope
from journeys.models import Customer
from playbooks import selectors, services
from playbooks.models import PlayRun, RunStep


class RunStepSerializer(serializers.ModelSerializer):
    done_by = serializers.CharField(source="done_by.username", default=None, read_only=True)

    class Meta:
        model = RunStep
        fields = ["id", "title", "required", "done_at", "done_by"]


class PlayRunSerializer(serializers.ModelSerializer):
    play = serializers.CharField(source="play.key")
    playbook = serializers.CharField(source="play.playbook.key")
    customer = serializers.CharField(source="customer.external_id")
    touchpoint = serializers.CharField(source="hit.touchpoint.key")
    assignee = serializers.CharField(source="assignee.username", default=None)
    team = serializers.CharField(source="team.key", default=None)
    steps = RunStepSerializer(many=True)

    class Meta:
        model = PlayRun
        fields = [
            "id",
            "play",
            "playbook",
            "customer",
            "touchpoint",
            "assignee",
            "team",
            "status",
            "fired_at",
            "due_at",
            "completed_at",
            "outcome",
            "note",
            "required_steps_done",
            "steps",
        ]
        read_only_fields = fields


class CompleteRunSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=200)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SkipRunSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class PlayRunFilter(django_filters.FilterSet):
    customer = django_filters.CharFilter(field_name="customer__external_id")
    play = django_filters.CharFilter(field_name="play__key")
    playbook = django_filters.CharFilter(field_name="play__playbook__key")
    status = django_filters.ChoiceFilter(choices=PlayRun.Status.choices)
    assignee = django_filters.CharFilter(field_name="assignee__username")
    team = django_filters.CharFilter(field_name="team__key")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lte")

    class Meta:
        model = PlayRun
        fields = ["customer", "play", "playbook", "status", "assignee", "team", "due_before"]


class PlayRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs the caller may see. State changes only through the command endpoints."""

    serializer_class = PlayRunSerializer
    permission_classes = [HasScope]
    required_scopes = {"GET": "runs:read", "POST": "runs:write"}
    filterset_class = PlayRunFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return PlayRun.objects.with_details().visible_to(self.request.user)

    def _actor(self) -> Any:
        user = self.request.user
        return user if getattr(user, "pk", None) else None

    @extend_schema(request=None, responses=PlayRunSerializer, summary="Tick one step")
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>\d+)/complete")
    def complete_step(self, request: Request, pk: str, step_id: str) -> Response:
        run = self.get_object()
        services.complete_step(run=run, step_id=int(step_id), actor=self._actor())
        return Response(PlayRunSerializer(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(request=CompleteRunSerializer, responses=PlayRunSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        body = CompleteRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.complete_run(
            run=run,
            actor=self._actor(),
            outcome=body.validated_data["outcome"],
            note=body.validated_data["note"],
        )
        return Response(PlayRunSerializer(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(request=SkipRunSerializer, responses=PlayRunSerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        body = SkipRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.skip_run(run=run, actor=self._actor(), reason=body.validated_data["reason"])
        return Response(PlayRunSerializer(self.get_queryset().get(pk=run.pk)).data)


class TimelineEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["event", "hit", "run"])
    at = serializers.DateTimeField()
    id = serializers.IntegerField()
    summary = serializers.CharField()
    detail = serializers.DictField()


class CustomerTimelineView(APIView):
    """Events, touchpoint hits and runs of one customer, in time order."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "customers:read"}

    @extend_schema(responses=TimelineEntrySerializer(many=True), summary="Customer timeline")
    def get(self, request: Request, external_id: str) -> Response:
        customer = get_object_or_404(Customer, external_id=external_id)
        entries = selectors.customer_timeline(customer=customer, user=request.user)
        return Response(TimelineEntrySerializer(entries, many=True).data)
