"""The run's journal: an append-only JSON-lines record that makes runs crash-safe.

Before each request an ``attempt`` line is written and forced to disk; after the
answer, an ``outcome`` line. Whatever happens in between (a crash, ``kill -9``, a
power cut), the journal tells which rows were certainly not sent, which were
answered, and which were sent without a recorded answer (``unknown``). The results
workbook and the retry file are always derived from it.

A crash can cut the last line at any byte, even inside a multi-byte character, so
the file is read as bytes, split on newlines, and each line decoded on its own. A
last line without its newline is a write that never returned: the event it began
never took effect (an attempt whose write did not return was never followed by its
request). Before a run appends to such a journal, the torn tail is set aside: copied
to ``<journal>.torn.txt`` beside it, then cut from the journal through the handle
this process holds (Windows refuses to rename or delete a file held open).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from importer.errors import JournalError
from importer.i18n import _
from importer.lock import Hold, hold
from importer.status import Status

VERSION = 1
#: fdatasync is enough for appended lines (it flushes the new length too) and cheaper.
_sync = getattr(os, "fdatasync", os.fsync)
#: Windows' answer to reading a byte that another process holds locked.
_LOCK_VIOLATION = 33


def row_hash(values: Iterable[str]) -> str:
    """A short fingerprint of a row's cells, to notice an input edited between runs."""
    joined = "\x1f".join(values)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def journal_path(out: Path) -> Path:
    """``campaigns.results.xlsx`` -> ``campaigns.results.journal.jsonl``."""
    return out.with_name(out.stem + ".journal.jsonl")


def torn_path(journal: Path) -> Path:
    """Where torn tails are set aside: ``campaigns.results.journal.torn.txt``."""
    return journal.with_name(journal.stem + ".torn.txt")


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
            return done.status == Status.NOT_SENT
        return row not in self.attempted_at

    def unsettled(self) -> list[int]:
        """Rows that may exist in wolkvox without a known outcome: sent without a
        recorded answer, or answered unclearly (``unknown``). They are checked against
        the campaign list, never sent again blindly."""
        pending = [r for r in self.attempted_at if r not in self.outcomes]
        unknown = [r for r, o in self.outcomes.items() if o.status == Status.UNKNOWN]
        return sorted(pending + unknown)


def parse(data: bytes, path: Path) -> tuple[JournalState, int]:
    """Fold a journal's bytes into a state; also return where its complete lines end.

    Bytes after the last newline are a torn tail and are not read. A journal with no
    complete line is one whose run stopped before writing its first line: it records
    no run, and reads as finished (a new run may start over it, nothing to resume).
    """
    end = data.rfind(b"\n") + 1
    state = JournalState()
    for number, line in enumerate(data[:end].split(b"\n")[:-1], start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line.decode("utf-8"))
            if not isinstance(event, dict):
                raise ValueError(event)
            state.apply(event)
        except (ValueError, KeyError, TypeError):  # a bad byte or shape alike
            raise JournalError(
                _(
                    "the journal {path} is damaged at line {line}; it cannot be resumed. "
                    "Check the campaigns in wolkvox manager and start again with another --out."
                ).format(path=path, line=number)
            ) from None
    if not state.header:
        if data[:end].strip():
            raise JournalError(_("{path} is not a journal of wolkvox-import.").format(path=path))
        state.finished = True
    return state, end


def read(path: Path) -> JournalState:
    """Fold a journal file into a :class:`JournalState`, leaving the file as it is.

    A last line cut short by a crash is ignored: it can only be an attempt or an
    outcome that never completed, and both cases are safe (not sent / unknown).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        if getattr(exc, "winerror", None) == _LOCK_VIOLATION:
            raise JournalError(_busy(path)) from None
        raise JournalError(
            _("the journal {path} cannot be read ({why}).").format(
                path=path, why=exc.strerror or exc
            )
        ) from None
    return parse(data, path)[0]


def _busy(path: Path) -> str:
    return _(
        "another wolkvox-import is writing {path}; wait for it to finish, or choose another --out."
    ).format(path=path)


class Journal:
    """An open journal file, locked by this process and appended to line by line."""

    def __init__(self, path: Path, file: BinaryIO, held: Hold, *, now: Callable[[], float]) -> None:
        self.path = path
        self.state = JournalState()
        #: Where a torn tail was set aside when the journal was opened, if one was.
        self.set_aside: Path | None = None
        self._file = file
        self._held = held
        self._now = now

    @classmethod
    def _open(cls, path: Path, now: Callable[[], float]) -> tuple[Journal, bytes]:
        """Open and lock ``path``; return the journal and what the file holds."""
        file = open(path, "a+b")  # noqa: SIM115 - kept open for the run
        try:
            held = hold(file.fileno(), path)
            if held is None:
                raise JournalError(_busy(path))
        except BaseException:
            file.close()
            raise
        journal = cls(path, file, held, now=now)
        try:
            file.seek(0)
            data = file.read()  # through our own handle: Windows hides a locked byte from others
        except BaseException:
            journal.close()
            raise
        return journal, data

    @classmethod
    def start(
        cls,
        path: Path,
        *,
        hashes: Mapping[int, str],
        info: Mapping[str, Any],
        now: Callable[[], float],
    ) -> Journal:
        """Begin a new journal. An old one at ``path`` is kept under a dated name:
        copied there, then emptied through the handle this process holds."""
        journal, old = cls._open(path, now)
        header = {
            "event": "start",
            "version": VERSION,
            **info,
            "rows": {str(k): v for k, v in hashes.items()},
        }
        try:
            if old:
                journal._archive(old)
            journal.append(header, durable=True)
        except BaseException:
            journal.close()
            raise
        return journal

    @classmethod
    def reopen(cls, path: Path, *, now: Callable[[], float]) -> Journal:
        """Open an existing journal to go on with it (``--resume``)."""
        journal, data = cls._open(path, now)
        try:
            journal.state, end = parse(data, path)
            if not journal.state.header:
                raise JournalError(
                    _(
                        "nothing to resume: the journal {path} records no run (it stopped "
                        "before its first line was written). Run the same command without "
                        "--resume."
                    ).format(path=path)
                )
            if end < len(data):
                journal._set_aside(data[end:], end)
            journal.append({"event": "resume"}, durable=True)
        except BaseException:
            journal.close()
            raise
        return journal

    def _archive(self, old: bytes) -> None:
        """Copy the old journal to a dated name (durably), then empty this one."""
        with _writing(self.path):
            self._copy_then_empty(old)

    def _copy_then_empty(self, old: bytes) -> None:
        mtime = os.fstat(self._file.fileno()).st_mtime
        stamp = dt.datetime.fromtimestamp(mtime).strftime("%Y%m%dT%H%M%S")
        for n in range(1, 1000):
            suffix = "" if n == 1 else f"-{n}"
            target = self.path.with_name(f"{self.path.stem}.{stamp}{suffix}{self.path.suffix}")
            try:
                with open(target, "xb") as copy:
                    _write_durably(copy, old)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(target)  # never empty a journal we could not copy
        self._file.truncate(0)
        _sync(self._file.fileno())

    def _set_aside(self, tail: bytes, end: int) -> None:
        """Keep a torn tail in the side file (durably), then cut it from the journal."""
        side = torn_path(self.path)
        with _writing(side), open(side, "ab") as kept:
            _write_durably(kept, tail + b"\n")
        with _writing(self.path):
            self._file.truncate(end)
            _sync(self._file.fileno())
        self.set_aside = side

    def append(self, event: dict[str, Any], *, durable: bool = False) -> None:
        """Write one line. ``durable`` forces it (and all before it) to disk first."""
        event.setdefault("at", round(self._now(), 3))
        self._file.write((json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8"))
        self._file.flush()  # into the OS: survives a crash or kill -9 of this process
        if durable:
            _sync(self._file.fileno())  # onto the disk: survives a power cut too
        self.state.apply(event)

    def attempt(self, row: int, name: str = "") -> None:
        """Record, durably, that ``row`` (campaign ``name``) is about to be sent. Call
        before sending."""
        event: dict[str, Any] = {"event": "attempt", "row": row}
        if name:
            event["name"] = name  # lets a person tell from the journal what was in flight
        event["hash"] = self.state.hashes.get(row, "")
        self.append(event, durable=True)

    def outcome(
        self, row: int, status: Status | str, id_campaign: str = "", message: str = ""
    ) -> None:
        """Record a row's outcome. Not forced to disk: the next attempt forces it, and a
        lost outcome line only turns a row into ``unknown``, which is then reconciled."""
        self.append(
            {
                "event": "outcome",
                "row": row,
                "status": str(status),
                "id": id_campaign,
                "message": message,
            }
        )

    def stop(self, reason: str, message: str) -> None:
        """Record why the run stopped early."""
        self.append({"event": "stop", "reason": str(reason), "message": message})

    def finish(self) -> None:
        """Record, durably, that the run is complete."""
        self.append({"event": "finish"}, durable=True)

    def close(self) -> None:
        """Release the journal (its lock goes with it)."""
        if self._file.closed:
            return
        try:
            self._held.release()
        finally:
            self._file.close()


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` into a message for the operator."""
    try:
        yield
    except OSError as exc:
        raise JournalError(
            _(
                "cannot write {path} ({why}); nothing was sent. Free some disk space or check the "
                "folder's permissions, then run the same command again."
            ).format(path=path, why=exc.strerror or exc)
        ) from None


def _write_durably(file: BinaryIO, data: bytes) -> None:
    file.write(data)
    file.flush()
    os.fsync(file.fileno())
