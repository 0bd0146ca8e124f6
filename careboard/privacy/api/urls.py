"""Routes of the privacy endpoints (included by config/api_router.py)."""

from __future__ import annotations

from django.urls import path

from careboard.privacy.api import views

urlpatterns = [
    path("access-log/", views.AccessLogView.as_view(), name="access-log"),
    path(
        "patients/<uuid:patient_id>/export/",
        views.PatientExportView.as_view(),
        name="patient-export",
    ),
    path("exports/<uuid:job_id>/", views.ExportJobView.as_view(), name="export-job"),
    path(
        "exports/<uuid:job_id>/download/",
        views.ExportJobDownloadView.as_view(),
        name="export-job-download",
    ),
    path(
        "patients/<uuid:patient_id>/erase/",
        views.PatientEraseView.as_view(),
        name="patient-erase",
    ),
    path(
        "patients/<uuid:patient_id>/consents/",
        views.PatientConsentsView.as_view(),
        name="patient-consents",
    ),
]
