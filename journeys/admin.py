"""The operator console for journeys: map, customers, events and tokens."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from journeys import services
from journeys.models import (
    ApiToken,
    Customer,
    Department,
    Event,
    Journey,
    Stage,
    Team,
    Touchpoint,
    TouchpointHit,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "key"]
    search_fields = ["name", "key"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "department"]
    list_filter = ["department"]
    list_select_related = ["department"]
    search_fields = ["name", "key"]
    autocomplete_fields = ["department"]
    filter_horizontal = ["members"]


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["position", "key", "name", "department"]
    autocomplete_fields = ["department"]


@admin.register(Journey)
class JourneyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "key", "updated_at"]
    search_fields = ["name", "key"]
    inlines = [StageInline]


class TouchpointInline(admin.TabularInline):
    model = Touchpoint
    extra = 0
    fields = ["position", "key", "name", "event_type", "condition"]


@admin.register(Stage)
class StageAdmin(SimpleHistoryAdmin):
    list_display = ["name", "key", "journey", "department", "position"]
    list_filter = ["journey", "department"]
    list_select_related = ["journey", "department"]
    search_fields = ["name", "key"]
    autocomplete_fields = ["journey", "department"]
    inlines = [TouchpointInline]


@admin.register(Touchpoint)
class TouchpointAdmin(SimpleHistoryAdmin):
    list_display = ["name", "key", "event_type", "stage", "condition"]
    list_filter = ["stage__journey", "stage"]
    list_select_related = ["stage__journey"]
    search_fields = ["name", "key", "event_type"]
    autocomplete_fields = ["stage"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "external_id",
        "segment",
        "status",
        "owner",
        "team",
        "arr",
        "current_stage",
        "renewal_date",
    ]
    list_filter = ["status", "segment", "team", "current_stage"]
    list_select_related = ["owner", "team", "current_stage"]
    search_fields = ["name", "external_id"]
    autocomplete_fields = ["owner", "team"]
    readonly_fields = ["current_stage", "current_stage_since", "created_at", "updated_at"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["type", "customer", "occurred_at", "source", "processed_at", "enqueue_count"]
    list_filter = ["type", "source", ("processed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["customer"]
    search_fields = ["type", "idempotency_key", "customer__external_id", "customer__name"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["processed_at", "enqueue_count", "created_at", "updated_at"]
    actions = ["requeue"]

    @admin.action(description="Re-queue selected unprocessed events")
    def requeue(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        count = services.requeue_events(event_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} event(s) queued for processing.", messages.SUCCESS)


@admin.register(TouchpointHit)
class TouchpointHitAdmin(admin.ModelAdmin):
    list_display = ["touchpoint", "customer", "occurred_at", "event"]
    list_filter = ["touchpoint__stage", "touchpoint"]
    list_select_related = ["touchpoint", "customer", "event"]
    search_fields = ["customer__external_id", "customer__name", "touchpoint__key"]
    raw_id_fields = ["event", "customer", "touchpoint"]
    date_hierarchy = "occurred_at"


@admin.register(ApiToken)
class ApiTokenAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "scopes", "user"]
    list_select_related = ["user"]
    search_fields = [*APIKeyModelAdmin.search_fields, "user__username"]
    autocomplete_fields = ["user"]
