"""Django admin for the exercise library and programs.

Exercises may be edited here (operators curate the global library, which the API keeps
read-only); the fields derived from the others are refreshed by the same service function
the API uses. Programs are read-only here: their edits go through the API, which keeps the
version (ETag) and the all-or-nothing tree rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from careboard.builder import services
from careboard.builder.models import Exercise, Program, ProgramItem, ProgramSession

# Django's admin classes are generic only in django-stubs, not at runtime.
if TYPE_CHECKING:
    _ItemInlineBase = admin.TabularInline[ProgramItem, ProgramSession]
    _SessionInlineBase = admin.TabularInline[ProgramSession, Program]
else:
    _ItemInlineBase = _SessionInlineBase = admin.TabularInline


@admin.register(Exercise)
class ExerciseAdmin(SimpleHistoryAdmin):
    list_display = ("name", "organization", "difficulty", "position", "video_provider", "archived")
    list_filter = ("archived", "difficulty", "position", "video_provider", "organization")
    search_fields = ("name", "search_text")
    readonly_fields = (
        "body_regions",
        "equipment",
        "video_provider",
        "video_id",
        "embed_url",
        "search_text",
        "created_by",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("organization",)

    def save_model(self, request: HttpRequest, obj: Exercise, form: Any, change: bool) -> None:
        previous = Exercise.objects.filter(pk=obj.pk).values_list("video_url", flat=True).first()
        services.exercise_refresh_derived(exercise=obj, previous_video_url=previous or "")
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


class ProgramItemInline(_ItemInlineBase):
    model = ProgramItem
    extra = 0
    can_delete = False
    fields = ("position", "exercise", "sets", "reps", "hold_seconds", "duration_seconds", "side")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProgramSessionInline(_SessionInlineBase):
    model = ProgramSession
    extra = 0
    can_delete = False
    fields = ("position", "name", "times_per_day", "days_of_week")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Program)
class ProgramAdmin(SimpleHistoryAdmin):
    list_display = ("name", "organization", "status", "is_template", "version", "updated_at")
    list_filter = ("status", "is_template", "organization")
    search_fields = ("name", "description")
    inlines = (ProgramSessionInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProgramSession)
class ProgramSessionAdmin(SimpleHistoryAdmin):
    list_display = ("name", "program", "position", "times_per_day")
    search_fields = ("name", "program__name")
    inlines = (ProgramItemInline,)

    def has_module_permission(self, request: HttpRequest) -> bool:
        # Reached from a program's page, not listed on its own.
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
