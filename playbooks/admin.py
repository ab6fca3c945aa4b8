"""The operator console for playbooks: plays with their steps, runs and action attempts."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from playbooks.models import (
    ActionAttempt,
    Play,
    Playbook,
    PlayRun,
    PlayStep,
    RunStep,
    RunTransition,
)
from playbooks.services import set_playbook_status


class PlayInline(admin.TabularInline):
    model = Play
    extra = 0
    fields = ["position", "key", "name", "touchpoint", "department", "assign", "due_minutes"]
    autocomplete_fields = ["touchpoint", "department"]
    show_change_link = True


@admin.register(Playbook)
class PlaybookAdmin(SimpleHistoryAdmin):
    list_display = ["name", "key", "status", "version", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "key"]
    inlines = [PlayInline]
    actions = ["publish", "archive"]

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Playbook], status: str) -> int:
        return sum(
            set_playbook_status(playbook=playbook, status=status, actor=request.user)
            for playbook in queryset
        )

    @admin.action(description="Publish selected playbooks")
    def publish(self, request: HttpRequest, queryset: QuerySet[Playbook]) -> None:
        changed = self._set_status(request, queryset, Playbook.Status.PUBLISHED)
        self.message_user(request, f"{changed} playbook(s) published.", messages.SUCCESS)

    @admin.action(description="Archive selected playbooks")
    def archive(self, request: HttpRequest, queryset: QuerySet[Playbook]) -> None:
        changed = self._set_status(request, queryset, Playbook.Status.ARCHIVED)
        self.message_user(request, f"{changed} playbook(s) archived.", messages.SUCCESS)


class PlayStepInline(admin.TabularInline):
    model = PlayStep
    extra = 0
    fields = ["position", "title", "required"]


@admin.register(Play)
class PlayAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "key",
        "playbook",
        "touchpoint",
        "department",
        "assign",
        "due_minutes",
        "delay_minutes",
    ]
    list_filter = ["playbook", "department", "assign"]
    list_select_related = ["playbook", "touchpoint", "department"]
    search_fields = ["name", "key", "playbook__key"]
    autocomplete_fields = ["playbook", "touchpoint", "department", "assign_team", "assign_user"]
    inlines = [PlayStepInline]


class RunStepInline(admin.TabularInline):
    model = RunStep
    extra = 0
    fields = ["position", "title", "required", "done_at", "done_by"]
    readonly_fields = fields
    can_delete = False


class RunTransitionInline(admin.TabularInline):
    model = RunTransition
    extra = 0
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    can_delete = False


class ActionAttemptInline(admin.TabularInline):
    model = ActionAttempt
    extra = 0
    fields = ["attempt", "status", "response_status", "error", "next_retry_at", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(PlayRun)
class PlayRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "play",
        "customer",
        "assignee",
        "team",
        "status",
        "fired_at",
        "due_at",
        "completed_at",
    ]
    list_filter = ["status", "play__playbook", "play__department", "team"]
    list_select_related = ["play__playbook", "customer", "assignee", "team"]
    search_fields = ["customer__external_id", "customer__name", "play__key", "assignee__username"]
    raw_id_fields = ["hit", "customer", "play"]
    autocomplete_fields = ["assignee", "team"]
    date_hierarchy = "due_at"
    # Status changes go through the run's command endpoints, so they are recorded.
    readonly_fields = ["status", "fired_at", "completed_at", "closed_by", "required_steps_done"]
    inlines = [RunStepInline, RunTransitionInline, ActionAttemptInline]
