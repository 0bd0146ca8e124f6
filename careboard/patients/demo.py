"""Demo patients, admissions and observations, loaded by ``manage.py demo``.

Patients, admissions and physicians' decisions go through :mod:`careboard.patients.services`
as the API does. Observations are scored with ``assessment.assess`` exactly as
``services.observation_record`` scores them, then stored in batches, and each admission's
board pointers are refreshed with ``services.admission_refresh``: the stored scores, due
times and board rows are the ones the application computes, without the per-observation
row lock, refresh and live event (the whole load stays within a few seconds).
The data are invented (names, dates, values) and deterministic: each patient draws from its
own seeded random generator, and every time is relative to ``now``.

Each patient is a script: keyframes of vital signs (hours before ``now``) that are
interpolated, with a little noise, at the times a nurse would have checked (the interval the
service computed after the previous check, capped at the ward's routine round). The last
keyframe is recorded exactly, at its own time, so the board's state (band, overdue, phase
hint) is what the script says. Physicians' decisions (SpO2 scale, interval override, dengue
phase) are taken at their scripted moment, between the observations, by the demo physician.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from careboard.organizations.demo import DEMO_ORGANIZATIONS, persona_email
from careboard.organizations.models import Organization
from careboard.organizations.roles import Role
from careboard.patients import assessment, services
from careboard.patients.models import (
    Admission,
    DenguePhase,
    Observation,
    Outcome,
    Patient,
    PhaseChange,
    Protocol,
    Sex,
)
from careboard.users.models import User

DEMO_MRN_PREFIX = "DEMO-"

# --------------------------------------------------------------------------- the script


@dataclass(frozen=True)
class Frame:
    """Values at ``hours`` before now. Keys: rr, hr, sbp, dbp, spo2, temp, o2 (L/min, 0 =
    air), avpu, pain, hct, plt, wbc, ws (dengue warning signs), fluid rates in mL/h (oral,
    iv, urine, vomit, drain), note (something a nurse saw: written at a check at that time)
    and check (True: a check at that time). A frame keeps the values of the frame before
    unless it changes them."""

    hours: float
    values: dict[str, Any]


def at(hours: float, **values: Any) -> Frame:
    return Frame(hours, values)


@dataclass(frozen=True)
class Stay:
    ward: str
    bed: str
    admitted: float  # hours before now
    frames: tuple[Frame, ...] = ()  # none: just admitted, no observation yet
    protocol: str = Protocol.GENERAL
    pregnant: bool = False
    round_hours: float = 8  # the longest the nurses leave between two checks
    spo2_scale_2: float | None = None  # hours before now the physician chose scale 2
    override: tuple[float, int, str] | None = None  # (hours before now, minutes, reason)
    phases: tuple[tuple[float, str, str], ...] = ()  # (hours before now, phase, note)
    transfer: tuple[float, str] | None = None  # (hours before now, new bed)
    discharge: tuple[float, str] | None = None  # (hours before now, outcome)
    weight: float | None = None
    noise: float = 1.0


@dataclass(frozen=True)
class DemoPatient:
    mrn: str
    given_name: str
    family_name: str
    sex: str
    age: int  # whole years today
    language: str
    stays: tuple[Stay, ...] = ()


# Values interpolated between frames, with the noise (one standard deviation) they get.
_NUMERIC = {
    "rr": 1.0,
    "hr": 3.5,
    "sbp": 5.0,
    "dbp": 3.5,
    "spo2": 0.7,
    "temp": 0.15,
    "pain": 0.6,
    "hct": 0.4,
    "plt": 0.0,
    "wbc": 0.0,
    "oral": 0.0,
    "iv": 0.0,
    "urine": 0.0,
    "vomit": 0.0,
    "drain": 0.0,
}
_FLUIDS = {
    "oral": "fluid_in_oral",
    "iv": "fluid_in_iv",
    "urine": "fluid_out_urine",
    "vomit": "fluid_out_vomit",
    "drain": "fluid_out_drain",
}

_NOTES = (
    "Slept well overnight.",
    "Mobilised to the chair with assistance.",
    "Eating and drinking well.",
    "Family visited; questions answered.",
    "Reviewed on the ward round, plan unchanged.",
    "Observations repeated after rest, as recorded.",
    "Paracetamol given as prescribed.",
    "Skin intact, repositioned.",
)

# --------------------------------------------------------------------------- the patients

M3 = "Medical Ward 3"
ID = "Infectious Diseases"
GW = "General Ward"

_STABLE: dict[str, Any] = {
    "rr": 16,
    "hr": 74,
    "sbp": 132,
    "dbp": 78,
    "spo2": 97,
    "temp": 36.8,
    "o2": 0,
    "avpu": "A",
    "pain": 1,
}


def _stable(**changes: Any) -> dict[str, Any]:
    return {**_STABLE, **changes}


DEMO_HOSPITAL_PATIENTS = (
    # Pneumonia turning into sepsis over the last day: new oxygen, then new confusion (high).
    DemoPatient(
        "DEMO-1001",
        "Friedrich",
        "Albrechtsen",
        Sex.MALE,
        78,
        "de",
        (
            Stay(
                M3,
                "14",
                62,
                (
                    at(62, **_stable(rr=18, hr=86, sbp=138, dbp=80, spo2=96, temp=37.9)),
                    at(40, rr=17, hr=84, temp=37.6, note="Productive cough, sputum sent."),
                    at(22, rr=18, hr=88, sbp=130, spo2=96, temp=37.9),
                    at(12, rr=20, hr=96, sbp=124, dbp=72, spo2=95, temp=38.3, check=True),
                    at(7, rr=22, hr=102, sbp=116, dbp=68, spo2=94, temp=38.5, check=True),
                    at(
                        4,
                        o2=2,
                        spo2=96,
                        note="SpO2 93 % on air: oxygen 2 L/min by nasal cannula, doctor informed.",
                    ),
                    at(1.5, rr=24, hr=110, sbp=108, dbp=64, spo2=94, o2=4, temp=38.7, check=True),
                    at(
                        0.1,
                        rr=27,
                        hr=122,
                        sbp=98,
                        dbp=58,
                        spo2=92,
                        o2=4,
                        avpu="C",
                        temp=38.7,
                        pain=2,
                        note="New confusion, disorientated to time and place. Medical "
                        "emergency team called, sepsis bundle started.",
                    ),
                ),
                round_hours=8,
                transfer=(3, "1"),
            ),
        ),
    ),
    # Urosepsis, deteriorating over the day on oxygen (medium).
    DemoPatient(
        "DEMO-1002",
        "Ayşe",
        "Demirtaş",
        Sex.FEMALE,
        67,
        "tr",
        (
            Stay(
                M3,
                "3",
                50,
                (
                    at(50, **_stable(rr=17, hr=88, sbp=126, spo2=96, temp=38.2, pain=3)),
                    at(30, rr=16, hr=82, temp=37.4, oral=80, urine=60),
                    at(18, rr=18, hr=90, sbp=122, temp=37.9, urine=45),
                    at(8, rr=20, hr=96, sbp=118, spo2=95, temp=38.2, urine=35, iv=125, check=True),
                    at(3, rr=21, hr=98, spo2=94, o2=2, temp=38.3, note="Oxygen 2 L/min started."),
                    at(0.4, rr=22, hr=96, sbp=116, dbp=70, spo2=96, o2=2, temp=37.8, urine=25),
                ),
            ),
        ),
    ),
    # Acute pancreatitis: tachycardia and falling blood pressure despite fluids (medium).
    DemoPatient(
        "DEMO-1003",
        "Tomasz",
        "Wiśniewski",
        Sex.MALE,
        59,
        "pl",
        (
            Stay(
                M3,
                "7",
                44,
                (
                    at(44, **_stable(rr=18, hr=92, sbp=134, dbp=82, temp=37.6, pain=7)),
                    at(30, hr=88, pain=5, iv=150, urine=70, oral=0),
                    at(16, rr=18, hr=94, sbp=128, pain=5, urine=55),
                    at(7, rr=20, hr=104, sbp=118, dbp=70, temp=37.8, pain=6, urine=40, check=True),
                    at(
                        0.3,
                        rr=22,
                        hr=112,
                        sbp=108,
                        dbp=64,
                        spo2=96,
                        temp=37.6,
                        pain=7,
                        urine=25,
                        iv=200,
                        note="Urine output below 0.5 mL/kg/h for 3 h; fluid bolus, doctor "
                        "reviewing.",
                    ),
                ),
                weight=84,
            ),
        ),
    ),
    # Community-acquired pneumonia, admitted high, now recovering (trend down).
    DemoPatient(
        "DEMO-1004",
        "Thi Lan",
        "Nguyen",
        Sex.FEMALE,
        71,
        "vi",
        (
            Stay(
                M3,
                "5",
                86,
                (
                    at(86, rr=22, hr=102, sbp=114, dbp=66, spo2=96, o2=2, temp=38.7, avpu="A"),
                    at(86, pain=2),
                    at(72, rr=20, hr=94, sbp=118, dbp=68, spo2=95, o2=2, temp=38.0),
                    at(48, rr=19, hr=88, sbp=122, dbp=72, spo2=95, o2=1, temp=37.5),
                    at(30, rr=18, hr=86, spo2=95, o2=0, note="Oxygen weaned off, SpO2 95 % air."),
                    at(2, rr=16, hr=78, sbp=126, dbp=74, spo2=96, temp=36.9, pain=0),
                ),
                round_hours=8,
            ),
        ),
    ),
    # COPD exacerbation on SpO2 scale 2 (target 88-92 %), now off oxygen.
    DemoPatient(
        "DEMO-1005",
        "Klaus-Dieter",
        "Baumgärtner",
        Sex.MALE,
        73,
        "de",
        (
            Stay(
                M3,
                "9",
                70,
                (
                    at(70, **_stable(rr=22, hr=94, sbp=146, dbp=86, spo2=88, o2=2, temp=37.3)),
                    at(46, rr=21, hr=90, spo2=90, o2=1),
                    at(26, rr=19, hr=86, spo2=89, o2=0, note="Off oxygen, SpO2 89 % on air."),
                    at(3, rr=18, hr=84, sbp=142, dbp=84, spo2=90, temp=36.8),
                ),
                spo2_scale_2=69.5,
                round_hours=8,
                weight=68,
            ),
        ),
    ),
    # Variceal bleed after banding: physician's 2-hourly override.
    DemoPatient(
        "DEMO-1006",
        "Matthias",
        "Köhlbrandt",
        Sex.MALE,
        54,
        "de",
        (
            Stay(
                M3,
                "11",
                30,
                (
                    at(30, **_stable(rr=18, hr=98, sbp=112, dbp=66, temp=36.6, pain=2)),
                    at(20, hr=92, sbp=118, dbp=70, iv=80, urine=60, note="Transfused 1 unit."),
                    at(1.3, rr=16, hr=88, sbp=122, dbp=72, spo2=97, temp=36.7, urine=55),
                ),
                override=(
                    29,
                    120,
                    "Variceal bleed, banded this morning: 2-hourly observations for 48 h "
                    "whatever the NEWS2.",
                ),
            ),
        ),
    ),
    # Stroke rehabilitation, stable: overdue (last check 7.5 h ago, due every 4 h).
    DemoPatient(
        "DEMO-1007",
        "Brigitte",
        "Sommerfeldt",
        Sex.FEMALE,
        84,
        "de",
        (
            Stay(
                M3,
                "16",
                75,
                (
                    at(75, **_stable(rr=18, hr=82, sbp=152, dbp=88, spo2=95, temp=36.5)),
                    at(7.5, rr=17, hr=80, sbp=148, dbp=86, spo2=95, temp=36.6, pain=1),
                ),
                round_hours=6,
            ),
        ),
    ),
    # Heart failure on diuretics: overdue (last check 5.2 h ago, due every 4 h).
    DemoPatient(
        "DEMO-1008",
        "Giuseppe",
        "Russomanno",
        Sex.MALE,
        69,
        "it",
        (
            Stay(
                M3,
                "18",
                56,
                (
                    at(56, **_stable(rr=22, hr=96, sbp=118, dbp=74, spo2=94, temp=36.6)),
                    at(56, oral=60, urine=180),
                    at(30, rr=20, hr=88, spo2=95, urine=140),
                    at(5.2, rr=21, hr=84, sbp=116, dbp=72, spo2=95, temp=36.7, urine=110),
                ),
                round_hours=6,
                weight=91,
            ),
        ),
    ),
    # Just admitted: no observation yet (the first is due on admission).
    DemoPatient("DEMO-1009", "Olena", "Marchenko", Sex.FEMALE, 45, "uk", (Stay(M3, "22", 0.3),)),
    # Pyelonephritis at 26 weeks: NEWS2 is not applicable in pregnancy.
    DemoPatient(
        "DEMO-1010",
        "Samira",
        "Haddadin",
        Sex.FEMALE,
        31,
        "ar",
        (
            Stay(
                M3,
                "20",
                38,
                (
                    at(38, **_stable(rr=20, hr=108, sbp=112, dbp=66, temp=38.6, pain=5)),
                    at(24, hr=98, temp=37.9, note="Obstetric team reviewed; CTG normal."),
                    at(1.5, rr=17, hr=88, sbp=114, dbp=68, spo2=98, temp=37.1, pain=2),
                ),
                pregnant=True,
                round_hours=6,
            ),
        ),
    ),
    # 15 years old, recovering from diabetic ketoacidosis: NEWS2 is not validated under 16.
    DemoPatient(
        "DEMO-1011",
        "Jonas",
        "Petersen-Lund",
        Sex.MALE,
        15,
        "de",
        (
            Stay(
                M3,
                "24",
                28,
                (
                    at(28, **_stable(rr=24, hr=112, sbp=110, dbp=64, spo2=98, temp=36.9)),
                    at(28, iv=150, urine=90, note="Paediatric team aware; PEWS chart in use."),
                    at(12, rr=18, hr=92, iv=100, oral=60),
                    at(2.5, rr=16, hr=84, sbp=116, dbp=68, temp=36.8, iv=40, oral=120),
                ),
                round_hours=6,
                weight=58,
            ),
        ),
    ),
    # Cellulitis of the leg, settling; she was here once before (readmission).
    DemoPatient(
        "DEMO-1012",
        "Ingrid",
        "Schäferling",
        Sex.FEMALE,
        76,
        "de",
        (
            Stay(
                M3,
                "12",
                24 * 96,
                (
                    at(24 * 96, **_stable(rr=20, hr=94, sbp=128, temp=38.1, pain=4)),
                    at(24 * 93, rr=16, hr=76, temp=36.7, pain=1),
                ),
                round_hours=12,
                discharge=(24 * 92.8, Outcome.HOME),
            ),
            Stay(
                M3,
                "4",
                54,
                (
                    at(54, **_stable(rr=18, hr=90, sbp=134, temp=38.3, pain=5)),
                    at(
                        30, hr=80, temp=37.4, pain=3, note="Erythema receding from the marked edge."
                    ),
                    at(4, rr=16, hr=76, sbp=136, dbp=80, spo2=96, temp=36.8, pain=2),
                ),
            ),
        ),
    ),
    # Pulmonary embolism on anticoagulation, stable.
    DemoPatient(
        "DEMO-1013",
        "Kwame",
        "Mensah-Boateng",
        Sex.MALE,
        48,
        "en",
        (
            Stay(
                M3,
                "8",
                66,
                (
                    at(66, **_stable(rr=20, hr=96, sbp=128, spo2=95, temp=37.2, pain=3)),
                    at(40, rr=17, hr=84, spo2=96, pain=2),
                    at(5, rr=15, hr=72, sbp=130, dbp=80, spo2=97, temp=36.7, pain=1),
                ),
            ),
        ),
    ),
    # Empyema with a chest drain, stable.
    DemoPatient(
        "DEMO-1014",
        "Dimitrios",
        "Papadakis",
        Sex.MALE,
        81,
        "el",
        (
            Stay(
                M3,
                "15",
                90,
                (
                    at(90, **_stable(rr=21, hr=92, sbp=124, spo2=94, temp=38.0, pain=4)),
                    at(90, drain=12),
                    at(50, rr=19, hr=84, spo2=95, temp=37.3, pain=3, drain=6),
                    at(3.5, rr=19, hr=80, sbp=130, dbp=76, spo2=95, temp=36.9, pain=3, drain=3),
                ),
                round_hours=8,
            ),
        ),
    ),
    # Discharged: pneumonia, home a few days ago.
    DemoPatient(
        "DEMO-1015",
        "Rosa",
        "Almeida Costa",
        Sex.FEMALE,
        63,
        "pt",
        (
            Stay(
                M3,
                "6",
                24 * 10,
                (
                    at(24 * 10, **_stable(rr=22, hr=102, sbp=118, spo2=94, temp=38.6, pain=2)),
                    at(24 * 8, rr=18, hr=86, spo2=95, temp=37.5),
                    at(24 * 5 + 3, rr=16, hr=74, spo2=97, temp=36.7, pain=0),
                ),
                round_hours=12,
                discharge=(24 * 5, Outcome.HOME),
            ),
        ),
    ),
    # Discharged: hip fracture after a fall, transferred to rehabilitation.
    DemoPatient(
        "DEMO-1016",
        "Aleksandr",
        "Volkonski",
        Sex.MALE,
        88,
        "ru",
        (
            Stay(
                M3,
                "19",
                24 * 9,
                (
                    at(24 * 9, **_stable(rr=18, hr=88, sbp=144, spo2=95, temp=36.9, pain=6)),
                    at(24 * 6, hr=78, pain=3),
                    at(24 * 3 + 4, hr=76, pain=2),
                ),
                round_hours=12,
                discharge=(24 * 3, Outcome.TRANSFERRED),
            ),
        ),
    ),
    # ----------------------------------------------------------- dengue (returning travellers)
    # Febrile phase: high fever, no warning signs.
    DemoPatient(
        "DEMO-2001",
        "Lukas",
        "Brennecke",
        Sex.MALE,
        28,
        "de",
        (
            Stay(
                ID,
                "2",
                30,
                (
                    at(30, **_stable(rr=18, hr=104, sbp=122, dbp=74, temp=39.6, pain=4)),
                    at(30, hct=42.0, plt=168, wbc=3.6, ws=(), oral=120, urine=60),
                    at(14, temp=39.2, hr=98, plt=142, wbc=3.1),
                    at(0.8, rr=18, hr=106, sbp=120, dbp=72, spo2=98, temp=39.7, pain=5),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
                weight=77,
            ),
        ),
    ),
    # Febrile phase with abdominal pain (a warning sign).
    DemoPatient(
        "DEMO-2002",
        "Pimchanok",
        "Srisawat",
        Sex.FEMALE,
        34,
        "th",
        (
            Stay(
                ID,
                "4",
                22,
                (
                    at(22, **_stable(rr=18, hr=100, sbp=116, dbp=70, temp=39.3, pain=4)),
                    at(22, hct=38.5, plt=131, wbc=2.9, ws=(), oral=100, urine=50),
                    at(
                        10,
                        temp=39.8,
                        hr=108,
                        pain=6,
                        ws=("abdominal_pain",),
                        note="New abdominal pain, right upper quadrant tender.",
                    ),
                    at(1.2, rr=19, hr=104, sbp=114, dbp=70, spo2=98, temp=39.4, plt=118),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
                weight=55,
            ),
        ),
    ),
    # Febrile phase, day 4 of illness, platelets drifting down.
    DemoPatient(
        "DEMO-2003",
        "Rahul",
        "Iyengar",
        Sex.MALE,
        41,
        "en",
        (
            Stay(
                ID,
                "6",
                42,
                (
                    at(42, **_stable(rr=17, hr=98, sbp=128, dbp=80, temp=39.1, pain=3)),
                    at(42, hct=44.0, plt=152, wbc=3.8, ws=(), oral=90, urine=50),
                    at(20, temp=39.5, hr=102, plt=121),
                    at(2, rr=18, hr=100, sbp=126, dbp=78, spo2=97, temp=39.2, plt=104),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
            ),
        ),
    ),
    # Febrile phase, just defervesced: the board suggests the critical phase.
    DemoPatient(
        "DEMO-2004",
        "Camila",
        "Ferraz",
        Sex.FEMALE,
        26,
        "pt",
        (
            Stay(
                ID,
                "8",
                64,
                (
                    at(64, **_stable(rr=18, hr=102, sbp=118, dbp=72, temp=39.5, pain=4)),
                    at(64, hct=40.5, plt=141, wbc=3.2, ws=(), oral=100, urine=50),
                    at(30, temp=39.3, plt=112, hct=42.0),
                    at(6, temp=38.6, hr=96, plt=94, hct=44.5),
                    at(
                        0.7,
                        rr=18,
                        hr=94,
                        sbp=112,
                        dbp=74,
                        spo2=98,
                        temp=37.7,
                        pain=3,
                        note="Afebrile for the first time, feels better. Doctor to review phase.",
                    ),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
                weight=61,
            ),
        ),
    ),
    # Critical phase: mucosal bleeding, hematocrit up over 20 %.
    DemoPatient(
        "DEMO-2005",
        "Minh Tuan",
        "Pham",
        Sex.MALE,
        36,
        "vi",
        (
            Stay(
                ID,
                "10",
                74,
                (
                    at(74, **_stable(rr=18, hr=100, sbp=124, dbp=78, temp=39.4, pain=3)),
                    at(74, hct=42.0, plt=126, wbc=3.3, ws=(), oral=100, urine=60),
                    at(34, temp=38.9, plt=82, hct=45.0),
                    at(31, temp=37.6, hr=92, note="Defervescence."),
                    at(
                        26,
                        ws=("mucosal_bleeding",),
                        iv=120,
                        note="Gum bleeding when brushing teeth.",
                    ),
                    at(
                        0.5,
                        rr=20,
                        hr=98,
                        sbp=114,
                        dbp=82,
                        spo2=97,
                        temp=37.2,
                        hct=51.5,
                        plt=38,
                        wbc=2.6,
                        urine=45,
                    ),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
                phases=(
                    (
                        30,
                        DenguePhase.CRITICAL,
                        "Defervescence on day 5 with platelets 82: critical phase, "
                        "2-hourly observations, hematocrit 6-hourly.",
                    ),
                ),
                weight=70,
            ),
        ),
    ),
    # Critical phase: persistent vomiting and abdominal pain.
    DemoPatient(
        "DEMO-2006",
        "Siti",
        "Rahmawati",
        Sex.FEMALE,
        29,
        "id",
        (
            Stay(
                ID,
                "12",
                80,
                (
                    at(80, **_stable(rr=18, hr=98, sbp=112, dbp=70, temp=39.0, pain=3)),
                    at(80, hct=37.0, plt=112, wbc=3.0, ws=(), oral=80, urine=50),
                    at(24, temp=38.3, plt=64, hct=40.0),
                    at(21, temp=37.5),
                    at(
                        18,
                        ws=("abdominal_pain", "persistent_vomiting"),
                        pain=6,
                        vomit=40,
                        oral=10,
                        iv=150,
                        note="Vomiting after every drink, oral intake stopped.",
                    ),
                    at(
                        1.1,
                        rr=20,
                        hr=104,
                        sbp=108,
                        dbp=78,
                        spo2=97,
                        temp=37.1,
                        pain=6,
                        hct=44.8,
                        plt=31,
                        wbc=2.4,
                        urine=35,
                    ),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
                phases=(
                    (
                        20,
                        DenguePhase.CRITICAL,
                        "Afebrile since this morning, platelets 64, vomiting: critical phase.",
                    ),
                ),
                weight=52,
            ),
        ),
    ),
    # Critical phase, severe dengue: compensated shock (narrow pulse pressure, tachycardia).
    DemoPatient(
        "DEMO-2007",
        "Florian",
        "Maierhofer",
        Sex.MALE,
        24,
        "de",
        (
            Stay(
                ID,
                "14",
                60,
                (
                    at(60, **_stable(rr=18, hr=102, sbp=126, dbp=76, temp=39.8, pain=4)),
                    at(60, hct=45.0, plt=98, wbc=2.8, ws=(), oral=150, urine=70),
                    at(18, temp=38.8, plt=61, hct=49.0),
                    at(15, temp=37.4, hr=104),
                    at(10, ws=("lethargy",), sbp=110, dbp=84, hr=112, iv=200, urine=40),
                    at(
                        0.2,
                        rr=22,
                        hr=124,
                        sbp=100,
                        dbp=86,
                        spo2=96,
                        temp=36.9,
                        pain=3,
                        hct=55.0,
                        plt=22,
                        wbc=2.1,
                        urine=20,
                        ws=("lethargy", "abdominal_pain"),
                        note="Cold peripheries, capillary refill 3 s. Crystalloid bolus "
                        "10 mL/kg, ICU outreach team informed.",
                    ),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
                phases=(
                    (
                        14,
                        DenguePhase.CRITICAL,
                        "Afebrile, hematocrit 49 and rising, platelets 61: critical phase.",
                    ),
                ),
                weight=82,
            ),
        ),
    ),
    # Critical phase: lethargy, hematocrit rise just over 20 %.
    DemoPatient(
        "DEMO-2008",
        "Maria Cristina",
        "Dela Cruz",
        Sex.FEMALE,
        52,
        "tl",
        (
            Stay(
                ID,
                "16",
                52,
                (
                    at(52, **_stable(rr=17, hr=96, sbp=134, dbp=82, temp=39.2, pain=3)),
                    at(52, hct=40.0, plt=104, wbc=3.4, ws=(), oral=100, urine=50),
                    at(12, temp=38.2, plt=58, hct=44.0),
                    at(9, temp=37.6, ws=("lethargy",), iv=100),
                    at(
                        0.9,
                        rr=19,
                        hr=96,
                        sbp=126,
                        dbp=84,
                        spo2=97,
                        temp=37.3,
                        hct=48.4,
                        plt=41,
                        urine=40,
                    ),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
                phases=(
                    (
                        8,
                        DenguePhase.CRITICAL,
                        "Defervescence, lethargic, platelets 58: critical phase.",
                    ),
                ),
            ),
        ),
    ),
    # Recovery phase: hematocrit normalising, platelets rising.
    DemoPatient(
        "DEMO-2009",
        "Kittisak",
        "Wongsawang",
        Sex.MALE,
        45,
        "th",
        (
            Stay(
                ID,
                "18",
                118,
                (
                    at(118, **_stable(rr=18, hr=100, sbp=126, dbp=80, temp=39.3, pain=3)),
                    at(118, hct=43.0, plt=121, wbc=3.5, ws=(), oral=100, urine=60),
                    at(84, temp=38.5, plt=70, hct=46.0),
                    at(80, temp=37.4, ws=("mucosal_bleeding",), iv=100),
                    at(56, hct=50.5, plt=28, wbc=2.4),
                    at(36, hct=47.0, plt=34, ws=(), iv=40, oral=120, urine=90),
                    at(
                        1.8,
                        rr=16,
                        hr=68,
                        sbp=128,
                        dbp=80,
                        spo2=98,
                        temp=36.7,
                        pain=1,
                        hct=42.5,
                        plt=96,
                        wbc=4.6,
                        iv=0,
                        urine=140,
                        note="Appetite back, good diuresis. Convalescent rash, itching.",
                    ),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
                phases=(
                    (80, DenguePhase.CRITICAL, "Defervescence with platelets 70: critical phase."),
                    (
                        34,
                        DenguePhase.RECOVERY,
                        "Hematocrit falling, platelets rising, diuresis: recovery phase. "
                        "Reduce IV fluids.",
                    ),
                ),
                weight=74,
            ),
        ),
    ),
    # Recovery phase, platelets back towards normal.
    DemoPatient(
        "DEMO-2010",
        "Leonie",
        "Hoffmeister",
        Sex.FEMALE,
        31,
        "de",
        (
            Stay(
                ID,
                "20",
                108,
                (
                    at(108, **_stable(rr=17, hr=98, sbp=114, dbp=72, temp=39.6, pain=4)),
                    at(108, hct=39.0, plt=109, wbc=3.1, ws=(), oral=100, urine=50),
                    at(74, temp=38.6, plt=62, hct=42.0),
                    at(70, temp=37.5, ws=("abdominal_pain",), iv=120),
                    at(48, hct=47.5, plt=19),
                    at(38, hct=45.0, plt=27, ws=(), iv=40, oral=120, urine=100),
                    at(3, rr=16, hr=72, sbp=116, dbp=74, spo2=99, temp=36.8, pain=1),
                    at(3, hct=40.5, plt=84, wbc=4.2, iv=0, urine=120),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
                phases=(
                    (70, DenguePhase.CRITICAL, "Afebrile, abdominal pain: critical phase."),
                    (36, DenguePhase.RECOVERY, "Platelets rising, stable: recovery phase."),
                ),
                weight=63,
            ),
        ),
    ),
    # Discharged after an uncomplicated dengue.
    DemoPatient(
        "DEMO-2011",
        "Dariush",
        "Karimzadeh",
        Sex.MALE,
        38,
        "fa",
        (
            Stay(
                ID,
                "22",
                24 * 13,
                (
                    at(24 * 13, **_stable(rr=18, hr=100, sbp=124, temp=39.4, pain=3)),
                    at(24 * 13, hct=44.0, plt=110, wbc=3.2, ws=()),
                    at(24 * 11, temp=37.4, plt=75, hct=47.0),
                    at(24 * 9, plt=120, hct=43.0, temp=36.7, hr=70),
                    at(24 * 8 + 3, plt=152, hct=42.0),
                ),
                protocol=Protocol.DENGUE,
                round_hours=8,
                phases=(
                    (24 * 11, DenguePhase.CRITICAL, "Defervescence: critical phase."),
                    (24 * 9.5, DenguePhase.RECOVERY, "Recovering: recovery phase."),
                ),
                discharge=(24 * 8, Outcome.HOME),
            ),
        ),
    ),
)

OTHER_CLINIC_PATIENTS = (
    DemoPatient(
        "DEMO-3001",
        "Somchai",
        "Rattanakorn",
        Sex.MALE,
        62,
        "th",
        (
            Stay(
                GW,
                "2",
                48,
                (
                    at(48, **_stable(rr=18, hr=92, sbp=142, dbp=88, temp=38.2, pain=4)),
                    at(24, hr=84, temp=37.3, note="Diabetic foot wound dressed, less erythema."),
                    at(2, rr=16, hr=78, sbp=138, dbp=84, spo2=97, temp=36.9, pain=2),
                ),
            ),
        ),
    ),
    DemoPatient(
        "DEMO-3002",
        "Wanida",
        "Phongsri",
        Sex.FEMALE,
        39,
        "th",
        (
            Stay(
                GW,
                "5",
                26,
                (
                    at(26, **_stable(rr=18, hr=102, sbp=116, dbp=72, temp=39.4, pain=4)),
                    at(26, hct=39.0, plt=138, wbc=3.0, ws=()),
                    at(1, rr=18, hr=100, sbp=114, dbp=70, spo2=98, temp=39.0, plt=121),
                ),
                protocol=Protocol.DENGUE,
                round_hours=6,
            ),
        ),
    ),
    DemoPatient(
        "DEMO-3003",
        "Arthit",
        "Boonmee",
        Sex.MALE,
        70,
        "th",
        (
            Stay(
                GW,
                "9",
                60,
                (
                    at(60, **_stable(rr=21, hr=92, sbp=126, spo2=96, o2=2, temp=38.3, pain=2)),
                    at(36, rr=19, hr=86, spo2=95, o2=0, temp=37.4),
                    at(3, rr=17, hr=80, sbp=130, dbp=78, spo2=96, temp=36.8, pain=1),
                ),
            ),
        ),
    ),
)

_PATIENTS_BY_ORGANIZATION = {
    "demo-hospital": DEMO_HOSPITAL_PATIENTS,
    "other-clinic": OTHER_CLINIC_PATIENTS,
}

# --------------------------------------------------------------------------- the loader


def load_demo_patients(*, now: datetime | None = None) -> int:
    """Create the demo patients with their admissions and observations; return how many
    patients were created. Idempotent: an organisation that already has patients with a
    ``DEMO-`` hospital number is left alone."""
    now = now or timezone.now()
    created = 0
    for spec in DEMO_ORGANIZATIONS:
        organization = Organization.objects.filter(slug=spec.slug).first()
        patients = _PATIENTS_BY_ORGANIZATION.get(spec.slug, ())
        if organization is None or not patients:
            continue
        if Patient.objects.filter(
            organization=organization, mrn__startswith=DEMO_MRN_PREFIX
        ).exists():
            continue
        with transaction.atomic():
            loader = _Loader(
                organization=organization,
                nurse=User.objects.get(email=persona_email(Role.NURSE, spec.email_domain)),
                physician=User.objects.get(email=persona_email(Role.PHYSICIAN, spec.email_domain)),
                now=now,
            )
            for demo in patients:
                loader.load(demo)
                created += 1
    return created


class _Loader:
    def __init__(
        self, *, organization: Organization, nurse: User, physician: User, now: datetime
    ) -> None:
        self.organization = organization
        self.wards = {ward.name: ward for ward in organization.wards.all()}
        self.nurse = nurse
        self.physician = physician
        self.now = now
        self.today = now.astimezone(organization.tz).date()

    def ago(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)

    def load(self, demo: DemoPatient) -> Patient:
        # One generator per patient, seeded by its number: adding a patient changes no other.
        rng = random.Random(demo.mrn)  # noqa: S311 - invented demo values, not security
        patient = services.patient_create(
            organization=self.organization,
            mrn=demo.mrn,
            given_name=demo.given_name,
            family_name=demo.family_name,
            birth_date=_birth_date(self.today, demo.age, rng.randint(20, 340)),
            sex=demo.sex,
            preferred_language=demo.language,
        )
        for stay in demo.stays:
            self.load_stay(patient, stay, rng)
        return patient

    def load_stay(self, patient: Patient, stay: Stay, rng: random.Random) -> Admission:
        admitted_at = self.ago(stay.admitted)
        admission = services.admission_admit(
            patient=patient,
            ward=self.wards[stay.ward],
            by=self.nurse,
            bed=stay.bed,
            admitted_at=admitted_at,
            protocol=stay.protocol,
            pregnant=stay.pregnant,
            attending_physician=self.physician,
        )
        actions = self._actions(admission, stay)
        if stay.frames:
            _Chart(self, admission, stay, rng).record_all(actions)
            services.admission_refresh(admission=admission, publish=False)
        for when, action in actions:  # whatever falls after the last observation
            if when <= self.now:
                action()
        actions.clear()
        return admission

    def _actions(self, admission: Admission, stay: Stay) -> list[tuple[datetime, Any]]:
        """The physician's and ward's decisions, in time order, each backdated to its time
        (the services stamp them with the real clock)."""
        actions: list[tuple[datetime, Any]] = []
        if stay.spo2_scale_2 is not None:
            when = self.ago(stay.spo2_scale_2)

            def set_scale(when: datetime = when) -> None:
                services.admission_set_spo2_scale(admission=admission, by=self.physician, scale=2)
                _backdate(admission, spo2_scale_set_at=when)

            actions.append((when, set_scale))
        if stay.override is not None:
            hours, minutes, reason = stay.override
            when = self.ago(hours)

            def set_override(when: datetime = when) -> None:
                services.admission_set_interval_override(
                    admission=admission, by=self.physician, minutes=minutes, reason=reason
                )
                _backdate(admission, interval_override_at=when)

            actions.append((when, set_override))
        for hours, phase, note in stay.phases:
            when = self.ago(hours)

            def set_phase(when: datetime = when, phase: str = phase, note: str = note) -> None:
                services.admission_set_phase(
                    admission=admission, by=self.physician, phase=phase, note=note
                )
                change = admission.phase_changes.order_by("-changed_at").first()
                if change is not None:  # the one just made
                    PhaseChange.objects.filter(pk=change.pk).update(changed_at=when)

            actions.append((when, set_phase))
        if stay.transfer is not None:
            hours, bed = stay.transfer
            when = self.ago(hours)
            actions.append(
                (
                    when,
                    lambda when=when, bed=bed: services.admission_transfer(
                        admission=admission, by=self.nurse, ward=admission.ward, bed=bed, at=when
                    ),
                )
            )
        if stay.discharge is not None:
            hours, outcome = stay.discharge
            when = self.ago(hours)
            actions.append(
                (
                    when,
                    lambda when=when, outcome=outcome: services.admission_discharge(
                        admission=admission, by=self.physician, outcome=outcome, at=when
                    ),
                )
            )
        actions.sort(key=lambda item: item[0])
        return actions


def _backdate(admission: Admission, **fields: datetime) -> None:
    Admission.objects.filter(pk=admission.pk).update(**fields)
    for name, value in fields.items():
        setattr(admission, name, value)


class _Chart:
    """The observations of one admission, recorded as the nurses would have."""

    def __init__(self, loader: _Loader, admission: Admission, stay: Stay, rng: random.Random):
        self.loader = loader
        self.admission = admission
        self.stay = stay
        self.rng = rng
        self.frames = _cumulative(stay.frames)
        self.notes = sorted(
            (loader.ago(frame.hours), frame.values["note"])
            for frame in stay.frames
            if "note" in frame.values
        )
        self.dengue = stay.protocol == Protocol.DENGUE
        self.previous_at: datetime | None = None
        self.last_lab_at: datetime | None = None
        self.interval = timedelta(0)
        self.count = 0
        self.pending: list[Observation] = []
        last_hours = min(frame.hours for frame in stay.frames)
        self.last_at = loader.ago(last_hours)
        # Blood taken at the last check when the script gives its results.
        self.final_lab = any(
            frame.hours == last_hours and {"hct", "plt"} & set(frame.values)
            for frame in stay.frames
        )

    def record_all(self, actions: list[tuple[datetime, Any]]) -> None:
        last_at = self.last_at
        # The first check within the first half hour of the admission.
        moment = min(
            self.admission.admitted_at + timedelta(minutes=self.rng.randint(5, 30)), last_at
        )
        # A frame with a note (or ``check=True``) is something a nurse saw at a check.
        checks = sorted(
            self.loader.ago(frame.hours)
            for frame in self.stay.frames
            if "note" in frame.values or frame.values.get("check")
        )
        checks = [when for when in checks if moment < when < last_at]
        step = timedelta(0)
        while moment < last_at - min(step / 2, timedelta(minutes=20)):
            self.run_until(actions, moment)
            self.record(moment, self.sample(moment, noise=True))
            # The next check: when due (as the board would show it), or the routine round.
            step = min(self.interval, timedelta(hours=self.stay.round_hours))
            moment += step * self.rng.uniform(0.7, 1.0)
            if checks and checks[0] <= moment + step / 4:
                moment = checks.pop(0)
        self.run_until(actions, last_at)
        self.record(last_at, self.sample(last_at, noise=False))
        self.flush()

    def sample(self, moment: datetime, *, noise: bool) -> dict[str, Any]:
        hours = (self.loader.now - moment).total_seconds() / 3600
        raw = _interpolate(self.frames, hours)
        if noise:
            for key, sd in _NUMERIC.items():
                if key in raw and sd:
                    raw[key] += self.rng.gauss(0, sd * self.stay.noise)
        values: dict[str, Any] = {
            "respiratory_rate": _whole(raw["rr"], 6, 40),
            "heart_rate": _whole(raw["hr"], 35, 180),
            "spo2": _whole(raw["spo2"], 70, 100),
            "temperature": Decimal(str(round(raw["temp"], 1))),
            "consciousness": raw["avpu"],
            "pain_score": _whole(raw["pain"], 0, 10),
        }
        systolic = _whole(raw["sbp"], 60, 230)
        values["systolic_bp"] = systolic
        values["diastolic_bp"] = min(_whole(raw["dbp"], 30, 140), systolic - 10)
        flow = raw["o2"]
        values["on_oxygen"] = bool(flow)
        if flow:
            values["oxygen_flow"] = Decimal(str(flow))
        self._fluids(values, raw, moment)
        if self.count == 0 and self.stay.weight is not None:
            values["weight"] = Decimal(str(self.stay.weight))
        if self.dengue:
            values["warning_signs"] = list(raw.get("ws", ()))
            if self._lab_due(moment):
                self.last_lab_at = moment
                values["hematocrit"] = Decimal(str(round(raw["hct"], 1)))
                values["platelets"] = int(round(raw["plt"]))
                if "wbc" in raw:
                    values["wbc"] = Decimal(str(round(raw["wbc"], 1)))
        notes = [text for when, text in self.notes if when <= moment]
        self.notes = [(when, text) for when, text in self.notes if when > moment]
        # Now and then a routine note, for patients whose last score was low.
        if not notes and noise and self.interval >= timedelta(hours=4) and self.rng.random() < 0.1:
            notes = [self.rng.choice(_NOTES)]
        values["notes"] = " ".join(notes)
        return values

    def _fluids(self, values: dict[str, Any], raw: dict[str, Any], moment: datetime) -> None:
        since = self.previous_at or self.admission.admitted_at
        hours = max((moment - since).total_seconds() / 3600, 0.5)
        for key, name in _FLUIDS.items():
            rate = raw.get(key)
            if rate:
                amount = rate * hours * self.rng.uniform(0.85, 1.15)
                values[name] = max(10, int(round(amount, -1)))

    def _lab_due(self, moment: datetime) -> bool:
        """Blood on admission, every morning, and 6-hourly in the critical phase."""
        if self.last_lab_at is None:
            return True
        if self.final_lab and self.last_at - moment < timedelta(hours=5.5):
            return moment == self.last_at
        if self.admission.phase == DenguePhase.CRITICAL:
            return moment - self.last_lab_at >= timedelta(hours=5.5)
        tz = self.loader.organization.tz
        local = moment.astimezone(tz)
        return local.date() > self.last_lab_at.astimezone(tz).date() and local.hour >= 6

    def record(self, moment: datetime, values: dict[str, Any]) -> None:
        """Score one observation as ``services.observation_record`` does, and store it.

        The same ``assess`` call and the same fields. Left out is the per-observation work
        that only matters live (row lock, board refresh, live event): observations are
        stored in batches (one at a time for dengue, whose rules read the earlier ones;
        always before a physician's decision) and the board pointers are refreshed once
        per admission, after its chart (see ``load_stay``).
        """
        admission = self.admission
        if not admission.admitted_at <= moment <= self.loader.now:
            raise ValueError(f"{moment} is outside the admission or in the future")
        result = assessment.assess(
            admission=admission, values=values, recorded_at=moment, spo2_scale=admission.spo2_scale
        )
        observation = Observation(
            admission=admission,
            recorded_at=moment,
            recorded_by=self.loader.nurse,
            spo2_scale=admission.spo2_scale,
            **{name: values[name] for name in assessment.VITAL_FIELDS if name in values},
            **result.model_fields(),
        )
        observation.full_clean(
            exclude=["admission", "recorded_by"], validate_unique=False, validate_constraints=False
        )
        self.pending.append(observation)
        if self.dengue:
            # The dengue rules compare with the earlier observations: store each at once.
            self.flush()
        self.interval = timedelta(minutes=result.due.interval_minutes)
        self.previous_at = moment
        self.count += 1

    def flush(self) -> None:
        """Store the pending observations with their history rows (by the nurse, as the
        service records them)."""
        if self.pending:
            bulk_create_with_history(self.pending, Observation, default_user=self.loader.nurse)
            self.pending = []

    def run_until(self, actions: list[tuple[datetime, Any]], moment: datetime) -> None:
        """Take the decisions due by ``moment``; they read the observations stored so far."""
        if actions and actions[0][0] <= moment:
            self.flush()
        while actions and actions[0][0] <= moment:
            actions.pop(0)[1]()


def _cumulative(frames: tuple[Frame, ...]) -> list[tuple[float, dict[str, Any]]]:
    """Each frame completed with the values it keeps from the frames before it."""
    result: list[tuple[float, dict[str, Any]]] = []
    current: dict[str, Any] = {}
    for frame in sorted(frames, key=lambda f: -f.hours):
        values = {k: v for k, v in frame.values.items() if k not in ("note", "check")}
        current = {**current, **values}
        if result and result[-1][0] == frame.hours:
            result[-1] = (frame.hours, current)
        else:
            result.append((frame.hours, current))
    return result


def _interpolate(frames: list[tuple[float, dict[str, Any]]], hours: float) -> dict[str, Any]:
    """Values ``hours`` before now: numbers linear between frames, the rest as last set."""
    before = frames[0]
    after = frames[-1]
    for frame in frames:
        if frame[0] >= hours:
            before = frame
        else:
            after = frame
            break
    else:
        after = before
    values = dict(before[1])
    if after is not before and before[0] != after[0]:
        share = (before[0] - hours) / (before[0] - after[0])
        for key in _NUMERIC:
            if key in before[1] and key in after[1]:
                values[key] = before[1][key] + (after[1][key] - before[1][key]) * share
    return values


def _whole(value: float, low: int, high: int) -> int:
    return max(low, min(high, int(round(value))))


def _birth_date(today: date, years: int, days: int) -> date:
    """A birth date ``years`` whole years and ``days`` days (< 365) before ``today``."""
    try:
        anniversary = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - years, day=28)
    return anniversary - timedelta(days=days)
