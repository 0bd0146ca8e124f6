"""Clinical test data for the ward and patient browser tests, made through the REST API.

Each test makes its own ward (named to sort after the demo wards, so the home page still
opens a demo ward), its own patients (unique MRNs) and admissions, and `Clinic.close()`
discharges what is still admitted and archives the ward: the demo boards, the critical list
and the other tests see the demo data as loaded.

Requests go through a signed-in browser context (`page.request`: its session cookie, with the
CSRF token the app itself sends), so they are made as that persona.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Types only: without playwright installed the browser tests skip (importorskip), and
    # this module must still import.
    from playwright.sync_api import Page

# A complete NEWS2 set scoring 11 (high) with single 3s (RCP 2017): RR 25 → 3, SpO2 91 → 3,
# air → 0, systolic 100 → 2, pulse 120 → 2, alert → 0, 38.5 °C → 1.
HIGH_SET: dict[str, Any] = {
    "respiratory_rate": 25,
    "spo2": 91,
    "on_oxygen": False,
    "systolic_bp": 100,
    "diastolic_bp": 60,
    "heart_rate": 120,
    "consciousness": "A",
    "temperature": 38.5,
}
HIGH_TOTAL = 11
# A complete set scoring 0 (low).
LOW_SET: dict[str, Any] = {
    "respiratory_rate": 16,
    "spo2": 97,
    "on_oxygen": False,
    "systolic_bp": 120,
    "diastolic_bp": 80,
    "heart_rate": 70,
    "consciousness": "A",
    "temperature": 37.0,
}


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class ApiError(AssertionError):
    pass


class Api:
    """JSON requests to /api/v1/ as the persona signed in to `page`'s browser context."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def _headers(self) -> dict[str, str]:
        csrf = next(
            (c["value"] for c in self.page.context.cookies() if c["name"].endswith("csrftoken")),
            "",
        )
        return {"Accept": "application/json", "X-CSRFToken": csrf}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, JSON body) of one request; refusals are returned, not raised."""
        response = self.page.request.fetch(
            f"/api/v1/{path}", method=method, data=body, headers=self._headers()
        )
        text = response.text()
        return response.status, (response.json() if text else None)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, data = self.call(method, path, body)
        if status >= 300:
            raise ApiError(f"{method} /api/v1/{path} answered {status}: {data}")
        return data

    def organization_id(self, name: str = "Demo Hospital") -> str:
        me = self.ok("GET", "me/")
        organization_id: str = next(
            m["organization_id"] for m in me["memberships"] if m["organization_name"] == name
        )
        return organization_id


@dataclass
class Clinic:
    """A ward of its own and the patients a test admits there."""

    admin: Api
    clinician: Api
    organization: str
    wards: list[dict[str, Any]] = field(default_factory=list)
    admissions: list[str] = field(default_factory=list)

    @property
    def ward(self) -> dict[str, Any]:
        return self.wards[0]

    def add_ward(self) -> dict[str, Any]:
        # "Z…" sorts after the demo wards, so the home page still opens a demo ward first.
        name = unique("Z E2E ")
        ward: dict[str, Any] = self.admin.ok(
            "POST",
            "wards/",
            {"organization": self.organization, "name": name, "code": "ZE", "beds": 12},
        )
        self.wards.append(ward)
        return ward

    def register(self, *, given: str = "Ada", family: str | None = None) -> dict[str, Any]:
        patient: dict[str, Any] = self.clinician.ok(
            "POST",
            "patients/",
            {
                "mrn": unique("E2E-"),
                "given_name": given,
                "family_name": family or unique("Tester"),
                "birth_date": "1961-04-12",
                "sex": "female",
            },
        )
        return patient

    def admit(
        self,
        patient: dict[str, Any],
        *,
        bed: str = "1",
        protocol: str = "general",
        ward: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        admission: dict[str, Any] = self.clinician.ok(
            "POST",
            "admissions/",
            {
                "patient": patient["id"],
                "ward": (ward or self.ward)["id"],
                "bed": bed,
                "protocol": protocol,
            },
        )
        self.admissions.append(admission["id"])
        return admission

    def admitted_patient(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new patient admitted to this clinic's ward: (patient, admission)."""
        protocol = kwargs.pop("protocol", "general")
        bed = kwargs.pop("bed", "1")
        patient = self.register(**kwargs)
        return patient, self.admit(patient, bed=bed, protocol=protocol)

    def record(self, admission: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        observation: dict[str, Any] = self.clinician.ok(
            "POST", f"admissions/{admission['id']}/observations/", values
        )
        return observation

    def observations(self, admission: dict[str, Any]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.clinician.ok(
            "GET", f"admissions/{admission['id']}/observations/"
        )["results"]
        return results

    def track(self, admission_id: str) -> None:
        """An admission made through the UI, to be discharged at the end too."""
        self.admissions.append(admission_id)

    def close(self) -> None:
        for admission_id in self.admissions:
            status, admission = self.clinician.call("GET", f"admissions/{admission_id}/")
            if status == 200 and admission["discharged_at"] is None:
                self.clinician.ok(
                    "POST", f"admissions/{admission_id}/discharge/", {"outcome": "home"}
                )
        for ward in self.wards:
            self.admin.ok("PATCH", f"wards/{ward['id']}/", {"archived": True})


def open_clinic(page_as: Callable[..., Page], clinician: str = "nurse") -> Clinic:
    """A `Clinic` on a new ward of Demo Hospital; `clinician` registers and admits."""
    admin = Api(page_as("admin"))
    clinic = Clinic(
        admin=admin, clinician=Api(page_as(clinician)), organization=admin.organization_id()
    )
    clinic.add_ward()
    return clinic
