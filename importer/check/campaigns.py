"""A valid row as the request it becomes: the campaign type and the body, all text.

Validation (:mod:`importer.check.schema`) makes these; sending and the results use them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from importer.check.columns import BODY_FIELDS


@dataclass(frozen=True)
class Campaign:
    """A valid row, ready to send."""

    row: int
    type_campaign: str
    #: the body's values, in :data:`~importer.check.columns.BODY_FIELDS` order
    values: tuple[str, ...]

    @classmethod
    def from_body(cls, row: int, type_campaign: str, body: dict[str, str]) -> Campaign:
        return cls(row, type_campaign, tuple(body.get(f, "") for f in BODY_FIELDS))

    @property
    def body(self) -> dict[str, str]:
        """The request body: every documented key, every value a string."""
        return dict(zip(BODY_FIELDS, self.values, strict=True))

    @property
    def name(self) -> str:
        return self.values[_NAME]

    def body_json(self) -> str:
        """The exact request body, as sent."""
        return json.dumps(self.body, ensure_ascii=False)


_NAME = BODY_FIELDS.index("campaign_name")


class Campaigns(Sequence[Campaign]):
    """The valid rows, column by column; each :class:`Campaign` is made when asked for.

    A 100,000-row sheet would otherwise make 100,000 objects up front, most of them only
    to be sent one by one minutes later.
    """

    def __init__(self, rows: list[int], kinds: list[str], columns: list[list[str]]) -> None:
        self._rows = rows
        self._kinds = kinds
        self._columns = columns

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Campaign: ...
    @overload
    def __getitem__(self, index: slice) -> list[Campaign]: ...
    def __getitem__(self, index: int | slice) -> Campaign | list[Campaign]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        values = tuple(column[index] for column in self._columns)
        return Campaign(self._rows[index], self._kinds[index], values)

    def __iter__(self) -> Iterator[Campaign]:
        for row, kind, values in zip(
            self._rows, self._kinds, zip(*self._columns, strict=True), strict=True
        ):
            yield Campaign(row, kind, values)

    def __repr__(self) -> str:
        return f"<{len(self)} campaigns>"
