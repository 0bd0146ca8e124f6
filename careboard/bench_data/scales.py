"""Sizes of the generated data sets (per organisation; ``organizations`` copies of it)."""

from __future__ import annotations

from dataclasses import dataclass

# Bump whenever a change to the generator (this package) changes the data it writes: the
# benchmark keeps a generated database per scale and reuses it only while this matches.
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Scale:
    name: str
    organizations: int
    wards: int
    beds: int  # per ward, all occupied by a current admission
    past_admissions: int  # per organisation, discharged
    observations: int  # per organisation, current and past admissions together
    exercises: int
    programs: int
    assignments: int
    activity_logs: int
    patients_per_admission: float = 0.7  # readmissions: fewer patients than admissions
    # Organisations after the first are copies of it made in SQL (``replicate``), with
    # fresh ids: minutes of chart generation each otherwise.
    copies: bool = False

    @property
    def current_admissions(self) -> int:
        return self.wards * self.beds


SCALES: dict[str, Scale] = {
    # For tests: seconds on SQLite.
    "tiny": Scale("tiny", 1, 2, 5, 190, 5_000, 30, 12, 20, 500),
    # For `make bench`: the hospital's shape (20 wards of 30 beds, so the board is the
    # same size), a tenth of its history; generated in well under a minute.
    "quick": Scale("quick", 1, 20, 30, 2_000, 100_000, 300, 200, 500, 20_000),
    # The hospital: a few years of one hospital.
    "hospital": Scale("hospital", 1, 20, 30, 20_000, 1_000_000, 300, 2_000, 5_000, 200_000),
    # Ten hospitals of that size in one database: the first generated, nine copies of it.
    "region": Scale(
        "region", 10, 20, 30, 20_000, 1_000_000, 300, 2_000, 5_000, 200_000, copies=True
    ),
}
