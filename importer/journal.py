"""The run's journal: an append-only JSON-lines record that makes runs crash-safe.

Before each request an ``attempt`` line is written and forced to disk; after the
answer, an ``outcome`` line. Whatever happens in between (a crash, ``kill -9``, a
power cut), the journal tells which rows were certainly not sent, which were
answered, and which were sent without a recorded answer (``unknown``). The results
workbook and the retry file are always derived from it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from importer.errors import JournalError

VERSION = 1
#: fdatasync is enough for appended lines (it flushes the new length too) and cheaper.
_sync = getattr(os, "fdatasync", os.fsync)


def row_hash(values: Iterable[str]) -> str:
    """A short fingerprint of a row's cells, to notice an input edited between runs."""
    joined = "\x1f".join(values)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def journal_path(out: Path) -> Path:
    """``campaigns.results.xlsx`` -> ``campaigns.results.journal.jsonl``."""
    return out.with_name(out.stem + ".journal.jsonl")


@dataclass
class Outcome:
    """The recorded end of one row."""

    status: str
    id_campaign: str = ""
    message: str = ""


@dataclass
class JournalState:
    """What a journal says, folded from its lines; see :meth:`apply`."""

    header: dict[str, Any] = field(default_factory=dict)
    hashes: dict[int, str] = field(default_factory=dict)
    #: row -> outcome (created, failed, exists, not_sent, unknown)
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    #: row -> time of its last attempt (epoch seconds); kept after its outcome too
    attempted_at: dict[int, float] = field(default_factory=dict)
    #: why the last run stopped early, for the message of rows it did not send
    stop_message: str = ""
    stop_reason: str = ""
    finished: bool = False

    def apply(self, event: Mapping[str, Any]) -> None:
        """Fold one journal line into the state."""
        kind = event.get("event")
        if kind == "start":
            self.header = dict(event)
            self.hashes = {int(k): v for k, v in event.get("rows", {}).items()}
            self.finished = False
        elif kind == "resume":
            self.finished = False
            self.stop_message = self.stop_reason = ""
        elif kind == "attempt":
            row = int(event["row"])
            self.attempted_at[row] = float(event["at"])
            self.outcomes.pop(row, None)
        elif kind == "outcome":
            self.outcomes[int(event["row"])] = Outcome(
                event["status"], event.get("id", ""), event.get("message", "")
            )
        elif kind == "stop":
            self.stop_message = event.get("message", "")
            self.stop_reason = event.get("reason", "")
        elif kind == "finish":
            self.finished = True

    def sendable(self, row: int) -> bool:
        """True when ``row`` was certainly never created: never attempted, or refused."""
        done = self.outcomes.get(row)
        if done is not None:
            return done.status == "not_sent"
        return row not in self.attempted_at

    def in_flight(self) -> list[int]:  # renamed unsettled() below
        """Rows sent without a recorded answer, or recorded as unknown."""
        pending = [r for r in self.attempted_at if r not in self.outcomes]
        unknown = [r for r, o in self.outcomes.items() if o.status == "unknown"]
        return sorted(pending + unknown)


class Journal:
    """An open journal file, appended to line by line."""

    def __init__(self, path: Path, state: JournalState, *, now: Callable[[], float]) -> None:
        self.path = path
        self.state = state
        self._now = now
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run
        _hold(self._file, path)

    @classmethod
    def start(
        cls,
        path: Path,
        *,
        hashes: Mapping[int, str],
        info: Mapping[str, Any],
        now: Callable[[], float],
    ) -> Journal:
        """Begin a new journal (an old finished one is kept under a dated name)."""
        if path.exists():
            with open(path, "a", encoding="utf-8") as old:
                _hold(old, path)  # never move a journal another run is writing
                stamp = dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y%m%dT%H%M%S")
                path.rename(path.with_name(f"{path.stem}.{stamp}{path.suffix}"))
        journal = cls(path, JournalState(), now=now)
        header = {
            "event": "start",
            "version": VERSION,
            **info,
            "rows": {str(k): v for k, v in hashes.items()},
        }
        journal.append(header, durable=True)
        return journal

    @classmethod
    def reopen(cls, path: Path, *, now: Callable[[], float]) -> Journal:
        """Open an existing journal to go on with it (``--resume``)."""
        journal = cls(path, JournalState(), now=now)
        journal.state = read(path)  # read once it is ours alone
        journal.append({"event": "resume"}, durable=True)
        return journal

    def append(self, event: dict[str, Any], *, durable: bool = False) -> None:
        """Write one line. ``durable`` forces it (and all before it) to disk first."""
        event.setdefault("at", round(self._now(), 3))
        self._file.write(json.dumps(event, ensure_ascii=False) + "\n")
        self._file.flush()  # into the OS: survives a crash or kill -9 of this process
        if durable:
            _sync(self._file.fileno())  # onto the disk: survives a power cut too
        self.state.apply(event)

    def attempt(self, row: int) -> None:
        """Record, durably, that ``row`` is about to be sent. Call before sending."""
        self.append(
            {"event": "attempt", "row": row, "hash": self.state.hashes.get(row, "")}, durable=True
        )

    def outcome(self, row: int, status: str, id_campaign: str = "", message: str = "") -> None:
        """Record a row's outcome. Not forced to disk: the next attempt forces it, and a
        lost outcome line only turns a row into ``unknown``, which is then reconciled."""
        self.append(
            {
                "event": "outcome",
                "row": row,
                "status": status,
                "id": id_campaign,
                "message": message,
            }
        )

    def stop(self, reason: str, message: str) -> None:
        self.append({"event": "stop", "reason": reason, "message": message})

    def finish(self) -> None:
        self.append({"event": "finish"}, durable=True)

    def close(self) -> None:
        self._file.close()


def _hold(file: IO[str], path: Path) -> None:
    """Lock a journal for this process; released when the file is closed or we die."""
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.close()
        raise JournalError(
            f"another wolkvox-import is writing {path}; wait for it to finish, or choose "
            f"another --out."
        ) from None


def read(path: Path) -> JournalState:
    """Fold a journal file into a :class:`JournalState`.

    A last line cut short by a crash is ignored: it can only be an attempt or an
    outcome that never completed, and both cases are safe (not sent / unknown).
    """
    state = JournalState()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise JournalError(f"the journal {path} cannot be read ({exc.strerror}).") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            if number == len(lines):
                break
            raise JournalError(
                f"the journal {path} is damaged at line {number}; it cannot be resumed. "
                f"Check the campaigns in wolkvox manager and start again with another --out."
            ) from None
        state.apply(event)
    if not state.header:
        raise JournalError(f"{path} is not a journal of wolkvox-import.")
    return state


JournalState.unsettled = JournalState.in_flight  # type: ignore[attr-defined]
