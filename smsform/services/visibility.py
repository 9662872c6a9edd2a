"""Who sees what of the send log: one rule for its pages, JSON, CSV and the token API.

- An administrator sees every send in full.
- A sender sees their own sends in full and everyone else's masked.
- A viewer sees every send masked.

Masked means: each recipient's number with its middle hidden (``010-****-5678``), each name
shortened to its first and last letter (``김*수``; the texts merged for names likewise), and
no client address. The list, the counts, the texts and the outcome are the same for all.
A search by number or by name only finds sends the reader sees in full (a search over
masked sends would tell the hidden digits or letters in turn), so a viewer may not search
by number at all. Callers build a ``Reader`` once per request and ask it per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from smsform.permissions import Permission, role_allows


@dataclass(frozen=True)
class Reader:
    """Who reads the log: their user id (None: nobody's own) and role."""

    user_id: int | None
    role: str

    @property
    def sees_all(self) -> bool:
        """Every send in full (administrators)."""
        return role_allows(self.role, Permission.READ_ALL_SENDS)

    @property
    def sees_own(self) -> bool:
        """Their own sends in full (senders, administrators)."""
        return role_allows(self.role, Permission.SEE_NUMBERS)

    @property
    def searches_people(self) -> bool:
        """Whether a search by number or name can find anything for this reader."""
        return self.sees_all or self.sees_own

    @property
    def people_owner(self) -> int | None:
        """Whose sends a search by number or name may find: None for all (admins), else
        the reader's own (a viewer has no sends: see ``searches_people``)."""
        return None if self.sees_all else (self.user_id if self.user_id is not None else -1)

    def in_full(self, owner_id: int | None) -> bool:
        """Whether a send made by ``owner_id`` is shown to this reader in full."""
        if self.sees_all:
            return True
        return self.sees_own and owner_id is not None and owner_id == self.user_id


#: A reader who sees everything (the CLI, tests of the queries themselves).
EVERYTHING = Reader(None, "admin")


def mask_name(name: str) -> str:
    """A name with all but its first and last letter hidden (김철수 → 김*수, 이현 → 이*)."""
    letters = name.strip()
    if len(letters) <= 1:
        return "*" if letters else ""
    if len(letters) == 2:
        return letters[0] + "*"
    return letters[0] + "*" * (len(letters) - 2) + letters[-1]
