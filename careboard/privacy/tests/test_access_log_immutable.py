"""Nobody can change or delete the access log through the application: not the model, not
a queryset, not the API, not the Django admin."""

from __future__ import annotations

import pytest
from django.contrib import admin as django_admin
from django.test import RequestFactory

from careboard.privacy.models import AccessLog, ConsentRecord, ErasureRecord, ImmutableRecordError
from careboard.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def row(organization, nurse) -> AccessLog:
    return AccessLog.objects.create(
        organization=organization, user=nurse, action="patient.view", ip="10.0.0.1"
    )


def test_saving_a_changed_row_is_refused(row):
    row.ip = "10.9.9.9"

    with pytest.raises(ImmutableRecordError):
        row.save()

    assert AccessLog.objects.get().ip == "10.0.0.1"


def test_deleting_a_row_is_refused(row):
    with pytest.raises(ImmutableRecordError):
        row.delete()

    assert AccessLog.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda rows: rows.update(ip="10.9.9.9"),
        lambda rows: rows.delete(),
        lambda rows: rows.bulk_update(list(rows), ["ip"]),
        lambda rows: rows.update_or_create(id=1, defaults={"ip": "10.9.9.9"}),
    ],
    ids=["update", "delete", "bulk_update", "update_or_create"],
)
def test_changing_rows_through_a_queryset_is_refused(row, change):
    with pytest.raises(ImmutableRecordError):
        change(AccessLog.objects.all())

    assert list(AccessLog.objects.values_list("ip", flat=True)) == ["10.0.0.1"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_has_no_way_to_write_the_log(row, client_for, admin, method):
    response = getattr(client_for(admin), method)("/api/v1/access-log/", {}, format="json")

    assert response.status_code == 405
    assert list(AccessLog.objects.values_list("ip", flat=True)) == ["10.0.0.1"]


@pytest.mark.parametrize("model", [AccessLog, ConsentRecord, ErasureRecord])
def test_the_django_admin_is_read_only_even_for_a_superuser(model, row):
    request = RequestFactory().get("/")
    request.user = UserFactory.create(is_staff=True, is_superuser=True)
    model_admin = django_admin.site._registry[model]

    assert (
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request, None),
        model_admin.has_delete_permission(request, None),
        model_admin.has_view_permission(request, None),
    ) == (False, False, False, True)


def test_the_admin_changelist_shows_the_log_without_a_delete_action(row, client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))

    response = client.get("/admin/privacy/accesslog/")

    assert response.status_code == 200
    assert b"delete_selected" not in response.content
