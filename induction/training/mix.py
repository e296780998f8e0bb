"""The mix of a session: how many sectors, organisations and job roles met (a pure rule)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    organisation: str
    sector: str
    job_role: str


@dataclass(frozen=True)
class Mix:
    people: int
    sectors: int
    organisations: int
    job_roles: int
    largest_sector: str | None
    largest_share: int  # per cent of the people from the largest sector

    def over(self, max_share: int) -> bool:
        """True when one sector fills more than `max_share` per cent (with at least two people)."""
        return self.people > 1 and self.largest_share > max_share


def mix_of(people: Iterable[Person]) -> Mix:
    """Counts of the distinct sectors, organisations and job roles among `people`."""
    group = list(people)
    if not group:
        return Mix(0, 0, 0, 0, None, 0)
    sectors = Counter(p.sector for p in group)
    largest, number = sorted(sectors.items(), key=lambda pair: (-pair[1], pair[0]))[0]
    return Mix(
        people=len(group),
        sectors=len(sectors),
        organisations=len({p.organisation for p in group}),
        job_roles=len({p.job_role.strip().lower() for p in group if p.job_role.strip()}),
        largest_sector=largest,
        largest_share=round(100 * number / len(group)),
    )
