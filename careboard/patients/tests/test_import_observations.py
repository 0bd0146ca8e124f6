"""``manage.py import_observations``: validated and scored like the API, all or nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from careboard.organizations.roles import Role
from careboard.patients import assessment, services
from careboard.patients.models import Observation
from careboard.patients.tests.factories import admit, record

pytestmark = pytest.mark.django_db

HEADER = (
    "admission,mrn,ward,recorded_at,respiratory_rate,spo2,on_oxygen,systolic_bp,diastolic_bp,"
    "heart_rate,consciousness,temperature,hematocrit,platelets,warning_signs,notes\n"
)


def at(hours_ago: float) -> str:
    return (timezone.now() - dt.timedelta(hours=hours_ago)).isoformat()


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_observations", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def admission(ward, nurse):
    return admit(ward=ward, by=nurse, hours_ago=48)


def test_valid_rows_are_scored_like_the_api_with_history_and_board(tmp_path, admission, nurse):
    path = tmp_path / "obs.csv"
    path.write_text(
        HEADER
        + f"{admission.pk},,,{at(30)},18,97,false,125,80,80,A,37.0,,,,\n"
        + f"{admission.pk},,,{at(2)},26,91,true,105,70,95,A,38.5,,,,Back-filled\n"
    )
    out, _err = run(path, "--by", nurse.email)
    assert "Imported 2 observation(s) for 1 admission(s)" in out
    observations = list(Observation.objects.filter(admission=admission).order_by("recorded_at"))
    assert [o.news2_total for o in observations] == [0, 11]
    latest = observations[-1]
    # Exactly what the API's scoring gives for these values.
    expected = assessment.assess(
        admission=admission,
        values=assessment.observation_values(latest),
        recorded_at=latest.recorded_at,
        spo2_scale=latest.spo2_scale,
        exclude_id=latest.pk,
    ).model_fields()
    assert {name: getattr(latest, name) for name in expected} == expected
    assert latest.recorded_by == nurse
    assert latest.notes == "Back-filled"
    history = latest.history.get()
    assert (history.history_type, history.history_user) == ("+", nurse)
    # The board follows: latest observation, trend and next due time.
    admission.refresh_from_db()
    assert admission.latest_observation == latest
    assert admission.previous_news2_total == 0
    assert admission.next_due_at == latest.next_due_at
    assert services.admission_rescore(admission=admission) == 0


def test_one_bad_row_rejects_the_file_with_line_numbers(tmp_path, admission, nurse):
    path = tmp_path / "obs.csv"
    path.write_text(
        HEADER
        + f"{admission.pk},,,{at(3)},18,97,false,125,80,80,A,37.0,,,,\n"
        + f"{admission.pk},,,{at(2)},18,101,false,125,80,80,A,37.0,,,,\n"
        + f"00000000-0000-0000-0000-000000000000,,,{at(2)},18,97,,,,,,,,,,\n"
        + f"{admission.pk},,,{at(1)},,,,120,130,,,,,,,\n"
        + f"{admission.pk},,,,18,97,,,,,,,,,,\n"
        + f"{admission.pk},,,{at(-1)},18,97,,,,,,,,,,\n"
    )
    with pytest.raises(CommandError, match=r"5 row\(s\) rejected"):
        run(path, "--by", nurse.email)
    assert not Observation.objects.exists()  # all or nothing


def test_rejected_rows_are_reported(tmp_path, admission, nurse):
    path = tmp_path / "obs.csv"
    path.write_text(
        HEADER
        + f"{admission.pk},,,{at(3)},18,97,false,125,80,80,A,37.0,,,,\n"
        + f"{admission.pk},,,{at(2)},18,101,false,125,80,80,A,37.0,,,,\n"
        + f"00000000-0000-0000-0000-000000000000,,,{at(2)},18,97,,,,,,,,,,\n"
        + f"{admission.pk},,,{at(1)},,,,120,130,,,,,,,\n"
        + f"{admission.pk},,,,18,97,,,,,,,,,,\n"
        + f"{admission.pk},,,{at(-1)},18,97,,,,,,,,,,\n"
        + f"{admission.pk},,,{at(60)},18,97,,,,,,,,,,\n"
    )
    out, err = run(path, "--by", nurse.email, "--skip-invalid")
    assert "Imported 1 observation(s)" in out
    assert "6 rejected" in out
    assert "line 3: spo2: Ensure this value is less than or equal to 100." in err
    assert "line 4: admission: No such admission." in err
    assert "line 5: diastolic_bp: The diastolic pressure is above the systolic." in err
    assert "line 6: recorded_at: This field is required." in err
    assert "line 7: recorded_at: The time is in the future." in err
    assert "line 8: recorded_at: The time is before the admission." in err
    assert Observation.objects.count() == 1


def test_mrn_and_ward_json_lines_and_dry_run(tmp_path, admission, ward, nurse):
    path = tmp_path / "obs.jsonl"
    rows = [
        {
            "mrn": admission.patient.mrn.lower(),
            "ward": str(ward.pk),
            "recorded_at": at(5),
            "respiratory_rate": 18,
            "spo2": 97,
            "on_oxygen": False,
            "heart_rate": 80,
        },
        {"mrn": "NOPE", "ward": str(ward.pk), "recorded_at": at(5), "spo2": 97},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out, err = run(path, "--by", nurse.email, "--skip-invalid", "--dry-run")
    assert "Validated (dry run, nothing stored) 1 observation(s)" in out
    assert "line 2: mrn: No admission of this patient to this ward at this time." in err
    assert not Observation.objects.exists()
    run(path, "--by", nurse.email, "--skip-invalid")
    assert Observation.objects.get().admission == admission


def test_role_other_organisation_and_discharged_admissions(
    tmp_path, admission, ward, nurse, make_member, outsider
):
    viewer = make_member(Role.VIEWER)
    path = tmp_path / "obs.csv"
    path.write_text(HEADER + f"{admission.pk},,,{at(3)},18,97,,,,,,,,,,\n")
    _out, err = run(path, "--by", viewer.email, "--skip-invalid")
    assert "line 2: Your role does not allow recording observations here." in err
    _out, err = run(path, "--by", outsider.email, "--skip-invalid")
    assert "line 2: admission: No such admission." in err
    assert not Observation.objects.exists()

    services.admission_discharge(
        admission=admission, by=nurse, outcome="home", at=timezone.now() - dt.timedelta(hours=1)
    )
    _out, err = run(path, "--by", nurse.email, "--skip-invalid")
    assert "closed" in err
    out, _err = run(path, "--by", nurse.email, "--allow-discharged")
    assert "Imported 1 observation(s)" in out


def test_dengue_rows_see_the_rows_before_them(tmp_path, ward, nurse):
    admission = admit(ward=ward, by=nurse, hours_ago=48, protocol="dengue")
    record(admission, by=nurse, minutes_ago=47 * 60, hematocrit=40, platelets=150)
    path = tmp_path / "obs.csv"
    path.write_text(
        HEADER
        + f"{admission.pk},,,{at(20)},,,,110,80,90,,,44,120,,\n"
        + f"{admission.pk},,,{at(10)},,,,110,80,90,,,49,90,abdominal_pain;lethargy,\n"
    )
    run(path, "--by", nurse.email)
    last = Observation.objects.filter(admission=admission).order_by("recorded_at").last()
    assert last is not None
    assert last.dengue is not None
    codes = {reason["code"] for reason in last.dengue["reasons"]}
    # 49 is over 20 % above the baseline 40; rising hematocrit with platelets falling
    # below 100 compares with the row imported just before it.
    assert {"hct_rise_20pct", "abdominal_pain", "lethargy"} <= codes
    assert last.dengue_class == "with_warning_signs"
    admission.refresh_from_db()
    assert services.admission_rescore(admission=admission) == 0


def test_unknown_columns_and_missing_file(tmp_path, nurse):
    path = tmp_path / "obs.csv"
    path.write_text("admission,recorded_at,pulse\n")
    with pytest.raises(CommandError, match="Unknown column"):
        run(path, "--by", nurse.email)
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "missing.csv", "--by", nurse.email)


def test_many_batches_and_all_or_nothing(tmp_path, admission, nurse):
    path = tmp_path / "obs.csv"
    path.write_text(
        HEADER
        + "".join(
            f"{admission.pk},,,{at(40 - k)},18,97,false,125,80,80,A,37.0,,,,\n" for k in range(30)
        )
        + f"{admission.pk},,,{at(1)},18,101,false,125,80,80,A,37.0,,,,\n"
    )
    with pytest.raises(CommandError, match="1 row"):
        run(path, "--by", nurse.email, "--batch-size", "7")
    assert not Observation.objects.exists()
    out, _err = run(path, "--by", nurse.email, "--batch-size", "7", "--skip-invalid")
    assert "Imported 30 observation(s)" in out
    assert Observation.objects.filter(admission=admission).count() == 30
    assert Observation.history.filter(history_change_reason="import").count() == 30
    admission.refresh_from_db()
    assert admission.latest_observation.recorded_at == max(
        o.recorded_at for o in Observation.objects.all()
    )


def test_rows_out_of_time_order_are_scored_in_time_order(tmp_path, ward, nurse):
    admission = admit(ward=ward, by=nurse, hours_ago=48, protocol="dengue")
    record(admission, by=nurse, minutes_ago=30 * 60, hematocrit=40, platelets=150, temperature=39)
    path = tmp_path / "obs.csv"
    # The file lists the latest first; a stored observation lies between the rows.
    path.write_text(
        HEADER
        + f"{admission.pk},,,{at(5)},,,,110,80,90,,37.5,49,90,lethargy,\n"
        + f"{admission.pk},,,{at(40)},,,,110,80,90,,38.5,,,,\n"
        + f"{admission.pk},,,{at(20)},,,,110,80,90,,38.0,44,120,,\n"
    )
    run(path, "--by", nurse.email)
    rows = list(Observation.objects.filter(admission=admission).order_by("recorded_at"))
    assert len(rows) == 4
    # Each row compared with what came before it in time, stored or imported: the first
    # hematocrit (40, stored) is the baseline; the last row sees the 44/120 before it.
    dengue = rows[-1].dengue
    assert dengue is not None
    codes = {reason["code"] for reason in dengue["reasons"]}
    assert {"hct_rise_20pct", "hct_rising_platelets_falling", "lethargy"} <= codes
    assert rows[2].suggests_critical_phase is True  # 38.0 after 39 earlier
    admission.refresh_from_db()
    assert admission.latest_observation == rows[-1]
    assert services.admission_rescore(admission=admission) == 0


def test_each_row_is_scored_under_the_phase_of_its_time(tmp_path, ward, nurse, physician):
    admission = admit(ward=ward, by=nurse, hours_ago=48, protocol="dengue")
    services.admission_set_phase(admission=admission, by=physician, phase="critical")
    path = tmp_path / "obs.csv"
    path.write_text(HEADER + f"{admission.pk},,,{at(10)},18,97,false,125,80,80,A,37.0,,,,\n")
    run(path, "--by", nurse.email)
    imported = Observation.objects.get(admission=admission)
    # Recorded while the admission was febrile: NEWS2 0 gives 12 h, not the critical
    # phase's 2 h, as a rescore would have it.
    assert imported.due["interval_minutes"] == 12 * 60
    admission.refresh_from_db()
    assert services.admission_rescore(admission=admission) == 0
    # The board's next due time follows today's (critical) phase, as admission_refresh.
    assert admission.next_due_at == imported.recorded_at + dt.timedelta(hours=2)


def test_rows_that_cannot_be_read_are_rejected_with_their_line(tmp_path, admission, nurse):
    path = tmp_path / "obs.jsonl"
    path.write_text(
        json.dumps({"admission": str(admission.pk), "recorded_at": at(3), "spo2": 97})
        + "\n{not json\n[1, 2]\n"
        + json.dumps({"admission": "nope", "recorded_at": at(3), "spo2": 97})
        + "\n"
    )
    _out, err = run(path, "--by", nurse.email, "--skip-invalid")
    assert "line 2: Not JSON" in err
    assert "line 3: Not an object." in err
    assert "line 4: admission: Not a valid id." in err
    assert Observation.objects.count() == 1


def test_stored_values_are_what_the_api_would_store_byte_for_byte(tmp_path, admission, nurse):
    # COPY's text format gives backslash, tab and newline a meaning: they must arrive as
    # typed, like every other value, with the history row a copy of the observation.
    notes = 'Tab\there, new\nline, back\\slash, "quoted" and ünïcode'
    path = tmp_path / "obs.jsonl"
    row = {
        "admission": str(admission.pk),
        "recorded_at": at(4),
        "temperature": "37.2",
        "heart_rate": 80.0,
        "spo2": 97,
        "on_oxygen": True,
        "oxygen_flow": "2",
        "consciousness": "C",
        "pain_score": 3,
        "fluid_in_iv": 250,
        "weight": "70.25",
        "notes": notes,
    }
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "recorded_at": at(3)}) + "\n")
    run(path, "--by", nurse.email)
    first, second = Observation.objects.filter(admission=admission).order_by("recorded_at")
    assert first.notes == second.notes == notes
    assert (first.temperature, first.heart_rate, first.weight) == (
        Decimal("37.2"),
        Decimal("80.0"),
        Decimal("70.25"),
    )
    assert (first.on_oxygen, first.oxygen_flow, first.consciousness) == (True, Decimal("2"), "C")
    assert (first.pain_score, first.fluid_in_iv, first.fluid_in_oral) == (3, 250, None)
    assert (first.warning_signs, first.dengue, first.dengue_class) == ([], None, "")
    # The same values give the same NEWS2 result; each row its own due time.
    assert first.news2 == second.news2
    assert first.next_due_at is not None
    assert second.next_due_at is not None
    assert first.due["due_at"] == first.next_due_at.isoformat()
    assert second.next_due_at - first.next_due_at == second.recorded_at - first.recorded_at
    history = first.history.get()
    assert {f: getattr(history, f) for f in ("notes", "news2", "due", "weight")} == {
        f: getattr(first, f) for f in ("notes", "news2", "due", "weight")
    }
