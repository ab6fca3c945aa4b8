"""REST endpoints for journeys: event ingest (one and batch) and customers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from journeys import services
from journeys.api_errors import PayloadTooLarge
from journeys.api_pagination import ByExternalIdPagination
from journeys.authentication import HasScope
from journeys.exceptions import UnknownCustomer
from journeys.models import Customer, Stage

# --- events -------------------------------------------------------------------------------------


class StrictRegexField(serializers.RegexField):
    """A RegexField that refuses numbers and booleans instead of turning them into text."""

    default_error_messages = {"not_a_string": "Expected a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class EventInSerializer(serializers.Serializer):
    customer = serializers.CharField(max_length=200, help_text="The customer's external_id.")
    type = StrictRegexField(
        r"^[A-Za-z0-9_.:-]+$",
        max_length=100,
        help_text="Event type, e.g. ticket.opened (letters, digits, . _ : -).",
        error_messages={"invalid": "Use letters, digits and . _ : - only, e.g. ticket.opened."},
    )
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    idempotency_key = serializers.CharField(max_length=200, required=False, allow_null=True)
    source = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    data = serializers.DictField(required=False, default=dict)

    def to_event_input(self) -> services.EventInput:
        return event_input(self.validated_data)


def event_input(v: dict[str, Any]) -> services.EventInput:
    return services.EventInput(
        customer=v["customer"],
        type=v["type"],
        occurred_at=v.get("occurred_at"),
        source=v.get("source") or "",
        idempotency_key=v.get("idempotency_key") or None,
        data=v.get("data") or {},
    )


class EventAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["accepted", "duplicate"])


class EventBatchInSerializer(serializers.Serializer):
    # Items are validated one by one in the view, so one bad item rejects only itself.
    events = serializers.ListField(
        max_length=settings.MAX_EVENTS_PER_BATCH,
        help_text="Up to 1000 objects shaped like the body of POST events/.",
    )


class EventBatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    errors = serializers.DictField()


def _result_body(result: services.IngestResult) -> dict[str, Any]:
    return {"id": result.event_id, "status": "duplicate" if result.duplicate else "accepted"}


class EventIngestView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "events:write"}

    @extend_schema(
        request=EventInSerializer,
        responses={
            202: EventAcceptedSerializer,
            200: OpenApiResponse(EventAcceptedSerializer, "Duplicate idempotency key"),
            400: OpenApiResponse(description="Malformed input, with field errors"),
            413: OpenApiResponse(description="Body larger than MAX_EVENT_BODY_BYTES"),
            422: OpenApiResponse(description="Unknown customer"),
        },
        summary="Record one event",
    )
    def post(self, request: Request) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.MAX_EVENT_BODY_BYTES:
            raise PayloadTooLarge(
                f"An event body may be at most {settings.MAX_EVENT_BODY_BYTES} bytes; "
                "send larger payloads by reference."
            )
        serializer = EventInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.ingest_event(item=serializer.to_event_input())
        code = status.HTTP_200_OK if result.duplicate else status.HTTP_202_ACCEPTED
        return Response(_result_body(result), status=code)


class EventBatchIngestView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "events:write"}

    @extend_schema(
        request=EventBatchInSerializer,
        responses={
            202: inline_serializer(
                "EventBatchAccepted", {"results": EventBatchResultSerializer(many=True)}
            ),
            400: OpenApiResponse(description="Not a list of events, or more than 1000"),
            413: OpenApiResponse(description="Body larger than MAX_BODY_BYTES"),
        },
        summary="Record up to 1000 events; each item stands alone",
    )
    def post(self, request: Request) -> Response:
        envelope = EventBatchInSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        raw_items = envelope.validated_data["events"]
        results: list[dict[str, Any]] = [{} for _ in raw_items]
        valid: list[tuple[int, services.EventInput]] = []
        # One serializer validates every item: building one per item deep-copies its fields
        # each time, which was most of a 1000-event batch's cost.
        validator = EventInSerializer()
        for index, raw in enumerate(raw_items):
            if not isinstance(raw, dict):
                results[index] = _rejected(index, {"non_field_errors": ["Expected an object."]})
                continue
            try:
                values = validator.run_validation(raw)
            except serializers.ValidationError as exc:
                results[index] = _rejected(index, exc.detail)
                continue
            valid.append((index, event_input(values)))
        outcomes = services.ingest_events(items=[item for _, item in valid])
        for (index, _), outcome in zip(valid, outcomes, strict=True):
            if isinstance(outcome, UnknownCustomer):
                results[index] = _rejected(index, {"customer": [outcome.detail]})
            else:
                results[index] = {"index": index, **_result_body(outcome), "errors": {}}
        return Response({"results": results}, status=status.HTTP_202_ACCEPTED)


def _rejected(index: int, errors: dict[str, Any]) -> dict[str, Any]:
    return {"index": index, "id": None, "status": "rejected", "errors": errors}


# --- customers ----------------------------------------------------------------------------------


class StageRefSerializer(serializers.ModelSerializer):
    journey = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Stage
        fields = ["key", "name", "journey"]


class CustomerSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(
        source="owner.username", required=False, allow_null=True, allow_blank=True
    )
    team = serializers.CharField(
        source="team.key", required=False, allow_null=True, allow_blank=True
    )
    arr = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    acquisition_cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False
    )
    attributes = serializers.DictField(required=False)
    current_stage = StageRefSerializer(read_only=True)
    external_id = serializers.CharField(max_length=200)

    class Meta:
        model = Customer
        fields = [
            "external_id",
            "name",
            "segment",
            "owner",
            "team",
            "arr",
            "acquisition_cost",
            "started_on",
            "renewal_date",
            "status",
            "attributes",
            "current_stage",
            "current_stage_since",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["current_stage_since", "created_at", "updated_at"]


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customers by external_id. POST creates or updates (only the fields sent change)."""

    serializer_class = CustomerSerializer
    permission_classes = [HasScope]
    required_scopes = {"GET": "customers:read", "POST": "customers:write"}
    lookup_field = "external_id"
    lookup_value_regex = "[^/]+"
    filterset_fields = ["segment", "status", "team__key", "owner__username"]
    pagination_class = ByExternalIdPagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Customer.objects.select_related("owner", "team", "current_stage__journey")

    @extend_schema(
        responses={201: CustomerSerializer, 200: CustomerSerializer},
        summary="Create or update a customer by external_id",
    )
    def create(self, request: Request) -> Response:
        serializer = CustomerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        customer, created = services.upsert_customer(
            external_id=v["external_id"],
            name=v["name"],
            segment=v.get("segment"),
            owner_username=(v.get("owner") or {}).get("username"),
            team_key=(v.get("team") or {}).get("key"),
            arr=v.get("arr"),
            acquisition_cost=v.get("acquisition_cost"),
            started_on=v.get("started_on"),
            renewal_date=v.get("renewal_date"),
            status=v.get("status"),
            attributes=v.get("attributes"),
            fields_given=set(request.data.keys()) if isinstance(request.data, dict) else None,
        )
        customer = self.get_queryset().get(pk=customer.pk)
        return Response(
            CustomerSerializer(customer).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
