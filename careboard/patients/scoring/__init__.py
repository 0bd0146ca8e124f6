"""Clinical scoring rules for Careboard: NEWS2, WHO 2009 dengue, schedules, fluids.

Pure Python with no Django imports, so models, serializers, tasks and tests can all use
the same rules. The rules, thresholds and their sources are explained in
``docs/scoring.md``.
"""

from __future__ import annotations

from careboard.patients.scoring.dengue import (
    PHASES,
    WARNING_SIGN_CODES,
    DengueClass,
    DengueObservation,
    DenguePhase,
    DengueResult,
    LabResult,
    Reason,
    classify_dengue,
    suggest_critical_phase,
)
from careboard.patients.scoring.fluids import FluidEntry, FluidTotals, fluid_balance
from careboard.patients.scoring.news2 import (
    BAND_RANK,
    COMPONENTS,
    CONSCIOUSNESS_LEVELS,
    Band,
    News2Result,
    NotApplicableReason,
    Vitals,
    band_rank,
    news2_score,
)
from careboard.patients.scoring.schedule import (
    DEFAULT_INTERVALS,
    DEFAULT_SHIFTS,
    DueResult,
    DueSource,
    Intervals,
    Shift,
    ShiftTimes,
    ShiftWindow,
    next_due,
    overdue_minutes,
    shift_for,
    shift_window,
)

__all__ = [
    "BAND_RANK",
    "COMPONENTS",
    "CONSCIOUSNESS_LEVELS",
    "DEFAULT_INTERVALS",
    "DEFAULT_SHIFTS",
    "PHASES",
    "WARNING_SIGN_CODES",
    "Band",
    "DengueClass",
    "DengueObservation",
    "DenguePhase",
    "DengueResult",
    "DueResult",
    "DueSource",
    "FluidEntry",
    "FluidTotals",
    "Intervals",
    "LabResult",
    "News2Result",
    "NotApplicableReason",
    "Reason",
    "Shift",
    "ShiftTimes",
    "ShiftWindow",
    "Vitals",
    "band_rank",
    "classify_dengue",
    "fluid_balance",
    "news2_score",
    "next_due",
    "overdue_minutes",
    "shift_for",
    "shift_window",
    "suggest_critical_phase",
]
