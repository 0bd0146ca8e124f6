"""Read-only Django admin for the privacy records: they are evidence, so nobody edits,
adds or deletes them here (the access log refuses changes in the model as well)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from careboard.privacy.models import AccessLog, ConsentRecord, ErasureRecord

# Django's admin classes are generic only in django-stubs, not at runtime.
if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin


class ReadOnlyAdmin(_ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "user", "organization", "patient_id", "ward_id", "ip")
    list_filter = ("action", "organization")
    search_fields = ("user__email", "=request_id")
    date_hierarchy = "at"
    list_select_related = ("user", "organization")


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ("patient_id", "purpose", "decision", "decided_at", "recorded_by")
    list_filter = ("purpose", "decision")


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    list_display = ("patient_id", "trigger", "erased_at", "erased_by", "organization")
    list_filter = ("trigger", "organization")
