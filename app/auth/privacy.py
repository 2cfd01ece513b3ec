"""What one person may read of another: a rider's name is masked for other riders (and for
secretaries of other communities); the one rule every response that names a rider applies."""
from __future__ import annotations

from typing import Protocol

from app.auth.models import Role, User

# Staff who handle riders' reports across their area read riders' names in full.
_SEES_RIDER_NAMES = frozenset({Role.ADMIN, Role.DISPATCHER, Role.GRID_WORKER, Role.DEPARTMENT})


class Person(Protocol):
    id: int
    name: str
    role: str
    area_code: str | None


def mask_name(name: str) -> str:
    """A name others may see: the first character, the rest starred (张三丰 → 张**)."""
    name = name.strip()
    if not name:
        return "*"
    return name[0] + "*" * max(1, len(name) - 1)


def name_visible(*, viewer: User | None, person: Person, place: str | None = None) -> bool:
    """True if the viewer may read the person's full name. `place`: the community the name is shown
    in (a report's, a community board's); its secretary reads the names of riders active there."""
    if viewer is None or person.role != Role.RIDER or person.id == viewer.id:
        return True  # staff names are shown to the people they serve; the system sees all
    if viewer.role in _SEES_RIDER_NAMES:
        return True
    if viewer.role == Role.SECRETARY:
        return viewer.area_code is not None and viewer.area_code in (person.area_code, place)
    return False


def shown_name(*, viewer: User | None, person: Person, place: str | None = None) -> str:
    """The person's name as this viewer may read it."""
    return person.name if name_visible(viewer=viewer, person=person, place=place) else mask_name(person.name)
