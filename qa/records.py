"""What a service returns when it points at a record: its kind and its id.

Services never name a screen; the UI layer (pages/_registry.py) turns a
:class:`RecordRef` into a link.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.access_log import RecordKind

__all__ = ["RecordKind", "RecordRef"]


@dataclass(frozen=True)
class RecordRef:
    kind: RecordKind
    id: int
