"""Column choices remembered for the next file with the same header.

Ops export the same report every week: once a person has said that "Campaña X" is
``campaign_name`` and "Notas" is to be ignored, the next file with that header goes
straight to the review. The choices are kept as JSON, keyed by the header's folded
cells, in ``mappings.json`` of the ``--workdir`` when one is given, else in the
user's configuration folder (``%APPDATA%\\wolkvox-import`` on Windows,
``~/.config/wolkvox-import`` elsewhere).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from importer.check.columns import FIELDS, RETRY_COLUMNS, fold

FILE_NAME = "mappings.json"
#: At most this many headers are remembered; the oldest are forgotten first.
KEEP = 50
#: The key of a header's chosen values, before the header's own key.
VALUES = "values\x1e"


def default_path(workdir: Path | None) -> Path:
    """Where the choices are kept (see the module's docstring)."""
    if workdir is not None:
        return workdir / FILE_NAME
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "wolkvox-import" / FILE_NAME


def header_key(header: Sequence[str]) -> str:
    """The same key for the same columns however their case, accents or spaces vary.

    The columns a retry file adds are left out: the retry file of a sheet is read with
    the choices made for the sheet.
    """
    added = {fold(c) for c in RETRY_COLUMNS}
    return "\x1f".join(f for f in map(fold, header) if f not in added)


class Remembered:
    """The remembered choices: header key -> {header text: field, or None to ignore}."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # nothing remembered yet, or a file damaged by hand: start afresh
        return data if isinstance(data, dict) else {}

    def get(self, header: Sequence[str]) -> dict[str, str | None]:
        """The choices made for this header before ({} if none)."""
        found = self._read().get(header_key(header), {})
        if not isinstance(found, dict):
            return {}
        return {
            str(k): (v if v in FIELDS else None)
            for k, v in found.items()
            if v is None or v in FIELDS
        }

    def get_values(self, header: Sequence[str]) -> dict[str, dict[str, str]]:
        """The values chosen for this header's fixed-value fields before: field ->
        {value found: value it becomes} ({} if none)."""
        found = self._read().get(VALUES + header_key(header), {})
        if not isinstance(found, dict):
            return {}
        return {
            str(f): {str(k): str(v) for k, v in chosen.items() if isinstance(v, str)}
            for f, chosen in found.items()
            if f in FIELDS and isinstance(chosen, dict)
        }

    def put_values(self, header: Sequence[str], values: Mapping[str, Mapping[str, str]]) -> None:
        """Remember the values chosen for this header (kept with its column choices)."""
        self._write(VALUES + header_key(header), {f: dict(v) for f, v in values.items()})

    def put(self, header: Sequence[str], mapping: Mapping[str, str | None]) -> None:
        """Remember ``mapping`` for this header (best effort: a read-only disk is no error)."""
        self._write(header_key(header), dict(mapping))

    def _write(self, key: str, value: object) -> None:
        data = self._read()
        data.pop(key, None)
        data[key] = value
        while len(data) > 2 * KEEP:  # a header's columns and its values
            data.pop(next(iter(data)))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass
