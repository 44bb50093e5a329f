"""Valid records as the requests they become: a batch of ``add_record`` is a JSON array.

Validation (:mod:`importer.check.record_schema`) makes these. Every record key of the
contract is sent, empty ones as ``""``: the contract's only full example (of
``create_campaign``) sends every key, and a PHP server reading a key that is not
there prints a notice before its answer. ``agent_id`` is the exception: the contract
has it for preview campaigns only, so it is left out of a predictive campaign's
records (validation already refuses a filled-in one there).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from importer.check.record_fields import BODY_FIELDS

#: The record keys sent to a predictive campaign: all but ``agent_id``.
PREDICTIVE_FIELDS: tuple[str, ...] = tuple(f for f in BODY_FIELDS if f != "agent_id")


def fields_for(type_campaign: str) -> tuple[str, ...]:
    """The record keys sent to a campaign of ``type_campaign``."""
    return BODY_FIELDS if type_campaign == "preview" else PREDICTIVE_FIELDS


@dataclass(frozen=True)
class Record:
    """A valid record, ready to send: its sheet row, its campaign and its values."""

    row: int
    #: the campaign's key (:func:`importer.check.record_schema.campaign_key`)
    campaign: str
    #: ``preview`` or ``predictive``: the type of that campaign
    type_campaign: str
    #: the values as sent, in :data:`~importer.check.record_fields.BODY_FIELDS` order
    values: tuple[str, ...]

    @property
    def body(self) -> dict[str, str]:
        """The record as sent, every value a string (see the module's docstring)."""
        if self.type_campaign == "preview":
            return dict(zip(BODY_FIELDS, self.values, strict=True))
        return {f: v for f, v in zip(BODY_FIELDS, self.values, strict=True) if f != "agent_id"}


def batch_body(records: Sequence[Record]) -> list[dict[str, str]]:
    """The body of one ``add_record`` call: the records as a list of objects.

    A batch goes into one campaign; records of several campaigns are a mistake of the
    caller, refused here rather than sent into the first one's campaign.
    """
    campaigns = {r.campaign for r in records}
    if len(campaigns) > 1:
        raise ValueError(f"a batch goes into one campaign, not {len(campaigns)}")
    return [r.body for r in records]


#: The C function :func:`json.dumps` encodes a string with (``ensure_ascii=False``).
_encode = json.encoder.encode_basestring


def _template(fields: Sequence[str]) -> str:
    return "{" + ", ".join(f"{json.dumps(f, ensure_ascii=False)}: %s" for f in fields) + "}"


_TEMPLATES = {"preview": _template(BODY_FIELDS), "predictive": _template(PREDICTIVE_FIELDS)}
_AGENT = BODY_FIELDS.index("agent_id")


def batch_json(records: Sequence[Record]) -> str:
    """The exact body of one ``add_record`` call, as sent: the text of
    ``json.dumps(batch_body(records), ensure_ascii=False)``.

    Made from a template of the keys, each value encoded by json's own function: three
    times quicker than the dictionaries through :func:`json.dumps`, which for a batch of
    10,000 records was the most of the importer's own time per batch.
    """
    campaigns = {r.campaign for r in records}
    if len(campaigns) > 1:
        raise ValueError(f"a batch goes into one campaign, not {len(campaigns)}")
    parts = []
    for r in records:
        values = r.values
        if r.type_campaign != "preview":
            values = values[:_AGENT] + values[_AGENT + 1 :]
            template = _TEMPLATES["predictive"]
        else:
            template = _TEMPLATES["preview"]
        parts.append(template % tuple(map(_encode, values)))
    return "[" + ", ".join(parts) + "]"


class Records(Sequence[Record]):
    """The valid records, column by column; each :class:`Record` is made when asked for.

    A million records would otherwise be a million objects made up front.
    """

    def __init__(
        self, rows: list[int], campaigns: list[str], kinds: list[str], columns: list[list[str]]
    ) -> None:
        self._rows = rows
        self._campaigns = campaigns
        self._kinds = kinds
        self._columns = columns

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        values = tuple(column[index] for column in self._columns)
        return Record(self._rows[index], self._campaigns[index], self._kinds[index], values)

    def __iter__(self) -> Iterator[Record]:
        for i in range(len(self)):
            yield self[i]

    def by_campaign(self) -> dict[str, list[int]]:
        """Each campaign key -> the positions of its records, in sheet order."""
        found: dict[str, list[int]] = {}
        for position, campaign in enumerate(self._campaigns):
            found.setdefault(campaign, []).append(position)
        return found

    def batches(self, campaign: str, size: int) -> Iterator[list[Record]]:
        """The records of ``campaign`` in batches of at most ``size``, in sheet order."""
        if size < 1:
            raise ValueError("a batch holds at least one record")
        positions = self.by_campaign().get(campaign, [])
        for start in range(0, len(positions), size):
            yield [self[i] for i in positions[start : start + size]]

    def __repr__(self) -> str:
        return f"<{len(self)} records>"
