"""What a Salesforce polling trigger asks and what it has seen: the SOQL of one poll, and the
keyset watermark that moves with the runs a poll starts.

"When a record is created" (``onnewitems``) follows ``CreatedDate``, "When a record is modified"
(``onupdateditems``) ``LastModifiedDate``. Salesforce stamps these to the second, and many
records can share a second, so the watermark is the last second seen *and the ids seen in it*.
Each poll asks for ``stamp >= that second`` in ``(stamp, Id)`` order and leaves out the ids
already seen there: a record written later in the same second is still found, and none is
found twice. The watermark is committed in the transaction that commits the runs it started
(``workflows/triggers/polling.py``), so a poll whose runs were not committed is simply asked
again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["EVENTS", "PollQuery", "Watermark", "advance", "record_time", "soql_datetime"]

EVENTS = {"onnewitems": "CreatedDate", "onupdateditems": "LastModifiedDate"}
"""The trigger operations (the path's last segment) and the field each follows."""
MAX_RECORDS = 10_000
"""Records one poll takes at most; the rest wait for the next poll (the watermark says where)."""


def soql_datetime(moment: datetime) -> str:
    """A SOQL dateTime literal: unquoted, UTC, whole seconds (``2024-01-02T03:04:05Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_time(value: object) -> datetime | None:
    """A Salesforce dateTime value (``2024-01-02T03:04:05.000+0000``) in UTC, or None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":  # +0000 -> +00:00
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Watermark:
    """The last second seen, and the ids seen in it (None: not known, so every record of that
    second counts as seen; a watermark set without Salesforce's answer)."""

    at: datetime
    ids: frozenset[str] | None = frozenset()
    failures: int = 0
    """Polls failed in a row (for the back-off); 0 after a poll that worked."""

    @classmethod
    def starting(cls, at: datetime, ids: Iterable[str] | None = None) -> Watermark:
        """Where a newly enabled trigger starts: records up to ``at`` (and ``ids`` in its
        second, or all of that second when ``ids`` is None) count as seen."""
        return cls(_second(at), None if ids is None else frozenset(ids))

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "ids": None if self.ids is None else sorted(self.ids),
            "failures": self.failures,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> Watermark | None:
        if not value or not isinstance(value.get("at"), str):
            return None
        ids = value.get("ids")
        return cls(
            _second(datetime.fromisoformat(value["at"])),
            None if ids is None else frozenset(str(i) for i in ids),
            int(value.get("failures") or 0),
        )

    def failed(self) -> Watermark:
        return Watermark(self.at, self.ids, self.failures + 1)


@dataclass(frozen=True)
class PollQuery:
    """One trigger's question: the object, the stamp field, the fields, the SOQL condition."""

    sobject: str
    stamp: str
    fields: Sequence[str]
    condition: str | None = None

    def soql(self, mark: Watermark) -> str:
        """The SOQL of a poll from ``mark``: the fields (with ``Id`` and the stamp), the
        records at or after its second that pass the filter, in keyset order."""
        wanted = list(self.fields)
        folded = {f.casefold() for f in wanted}
        for needed in ("Id", self.stamp):
            if needed.casefold() not in folded:
                wanted.append(needed)
        where = f"{self.stamp} >= {soql_datetime(mark.at)}"
        if self.condition:
            where += f" AND ({self.condition})"
        # Every name here was checked to be an identifier, the condition built with escaped
        # literals (``odata.py``): nothing in this text comes from a user unchecked.
        return (
            f"SELECT {', '.join(wanted)} FROM {self.sobject} WHERE {where} "  # noqa: S608
            f"ORDER BY {self.stamp} ASC, Id ASC"
        )


def advance(
    mark: Watermark, records: Iterable[Mapping[str, Any]], stamp: str
) -> tuple[list[dict[str, Any]], Watermark]:
    """The records not seen yet (in the order given, without Salesforce's ``attributes``) and
    the watermark after them. Records without an ``Id`` or a readable stamp are left out."""
    fresh: list[dict[str, Any]] = []
    at = mark.at
    ids: set[str] | None = None if mark.ids is None else set(mark.ids)
    for record in records:
        ident = record.get("Id")
        moment = record_time(_field(record, stamp))
        if not isinstance(ident, str) or moment is None:
            continue
        moment = _second(moment)
        if moment < mark.at:
            continue
        if moment == mark.at and (mark.ids is None or ident in mark.ids):
            continue
        if moment > at:
            at, ids = moment, {ident}
        elif ids is not None:
            ids.add(ident)
        fresh.append({k: v for k, v in record.items() if k != "attributes"})
    return fresh, Watermark(at, None if ids is None else frozenset(ids))


def _field(record: Mapping[str, Any], name: str) -> Any:
    """A field by name, in any case (Salesforce answers with the describe spelling)."""
    if name in record:
        return record[name]
    folded = name.casefold()
    return next((v for k, v in record.items() if k.casefold() == folded), None)
