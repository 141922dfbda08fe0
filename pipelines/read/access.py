"""Who is looking: the viewer whose groups decide which restricted incidents they may read.

Kept free of Streamlit so query code, the report and tests share one definition. The dashboard
builds a Viewer from `st.user` (dashboard/auth.py); the CLI uses the anonymous viewer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

RESTRICTED_LABEL = "restricted incident"


@dataclass(frozen=True)
class Viewer:
    """A signed-in person (email + groups) or the anonymous viewer (neither).

    Iterating yields the lower-cased principals (groups, then the email) matched against an
    incident's `allowed_groups`, so a Viewer can be passed wherever a collection of principals
    is expected.
    """

    email: str | None = None
    groups: tuple[str, ...] = ()

    @property
    def is_anonymous(self) -> bool:
        return not self.email and not self.groups

    @property
    def principals(self) -> tuple[str, ...]:
        items = [g.strip().lower() for g in self.groups if g and g.strip()]
        if self.email and self.email.strip():
            items.append(self.email.strip().lower())
        return tuple(dict.fromkeys(items))

    def __iter__(self) -> Iterator[str]:
        return iter(self.principals)

    def can_see(self, restricted: bool, allowed_groups: list[str] | tuple[str, ...] | None) -> bool:
        if not restricted:
            return True
        allowed = {g.strip().lower() for g in (allowed_groups or ()) if g}
        return bool(allowed & set(self.principals))


ANONYMOUS = Viewer()
