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
import errno
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from importer.errors import JournalError
from importer.i18n import _
from importer.send.lock import Hold, hold
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


#: How a journal's name ends, after its results workbook's stem.
SUFFIX = ".journal.jsonl"
#: ``campaigns.results`` + ``.journal.jsonl``; older versions kept a finished journal as
#: ``campaigns.results.journal.<date>.jsonl``, a name that is read here too.
_JOURNAL_NAME = re.compile(r"(?P<base>.+?)\.journal(?P<tag>\.[^.]+)?\.jsonl", re.IGNORECASE)


def journal_path(out: Path) -> Path:
    """``campaigns.results.xlsx`` -> ``campaigns.results.journal.jsonl``."""
    return out.with_name(out.stem + SUFFIX)


def results_for(journal: Path) -> Path | None:
    """The results workbook a journal belongs to, by its name; None for another name.

    ``x.results.journal.jsonl`` and an archived ``x.results.<date>.journal.jsonl`` are
    the journals of ``x.results.xlsx`` and ``x.results.<date>.xlsx``; so is an older
    version's ``x.results.journal.<date>.jsonl`` of ``x.results.<date>.xlsx``.
    """
    found = _JOURNAL_NAME.fullmatch(journal.name)
    if found is None:
        return None
    return journal.with_name(found["base"] + (found["tag"] or "") + ".xlsx")


def _base(journal: Path) -> str:
    """The name a journal and its run's other files share: ``campaigns.results``."""
    name = journal.name
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else journal.stem


def archived(path: Path, base: str, tag: str) -> Path:
    """Where a finished run's file goes when a new run starts in its place: the date
    after the shared name, so the set stays together and reads like a run of its own
    (``campaigns.results.retry.xlsx`` -> ``campaigns.results.<tag>.retry.xlsx``)."""
    rest = path.name[len(base) :] if path.name.startswith(base) else path.suffix
    return path.with_name(f"{base}.{tag}{rest}")


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
class CallRecord:
    """One call of the launch that is not a campaign's creation: a batch of records
    (``add_record``) or a campaign's ``start``, as the journal's ``call`` and ``answer``
    lines tell it. ``status`` is "" while the call is in flight without an answer."""

    key: str
    #: ``add_record`` or ``start``
    call: str
    #: the campaign's key (:func:`importer.check.record_schema.campaign_key`) and its id
    campaign: str
    campaign_id: str
    #: the records' sheet rows (a batch), in the order sent
    rows: list[int] = field(default_factory=list)
    #: the batch's number in the run (1, 2, ...); 0 for a start
    batch: int = 0
    at: float = 0.0
    status: str = ""
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
    #: The records' part of the run (``records`` line): their input, row hashes and the
    #: campaigns they were checked against; empty for a run without records (and for
    #: every journal written before records were loaded).
    records: dict[str, Any] = field(default_factory=dict)
    #: campaign key -> the campaign's ``records`` count before its first batch (``count``)
    counts: dict[str, int] = field(default_factory=dict)
    #: batches and starts by key (``call`` and ``answer`` lines), in the order sent
    calls: dict[str, CallRecord] = field(default_factory=dict)
    #: campaign key -> why its records are not sent in this run (``skip``)
    skipped: dict[str, str] = field(default_factory=dict)
    #: When the run's ``finish`` line was written (epoch seconds; 0 if never).
    finished_at: float = 0.0
    #: Undo (:mod:`importer.send.undo`): row -> id of a delete sent without a clear answer yet
    deleting: dict[int, str] = field(default_factory=dict)
    #: row -> time of its last delete attempt (epoch seconds)
    deleting_at: dict[int, float] = field(default_factory=dict)
    #: An undo began (``undo``), and one ran to its end (``undo_finish``).
    undo_started: bool = False
    undone: bool = False

    def apply(self, event: Mapping[str, Any]) -> None:
        """Fold one journal line into the state."""
        kind = event.get("event")
        if kind in _LAUNCH_EVENTS:
            self._apply_launch(kind, event)
            return
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
            self.finished_at = float(event.get("at", 0.0))
        elif kind in _UNDO_EVENTS:
            self._apply_undo(kind, event)

    def _apply_undo(self, kind: str, event: Mapping[str, Any]) -> None:
        """Fold an undo's line (:mod:`importer.send.undo`). Only a ``deleted`` outcome changes
        the row's outcome; the lines of the run itself keep their meaning."""
        if kind == "undo":
            self.undo_started, self.undone = True, False
        elif kind == "undo_finish":
            self.undone = True
        elif kind == "delete_attempt":
            row = int(event["row"])
            self.deleting[row] = str(event["id"])
            self.deleting_at[row] = float(event["at"])
        elif kind == "delete_outcome":
            row = int(event["row"])
            if event["status"] != Status.UNKNOWN:  # an unclear answer stays to be settled
                self.deleting.pop(row, None)
            if event["status"] == Status.DELETED:
                self.outcomes[row] = Outcome(
                    Status.DELETED, str(event.get("id", "")), event.get("message", "")
                )

    def _apply_launch(self, kind: str, event: Mapping[str, Any]) -> None:
        """The lines of records and starts (added after version 1's campaign lines; a
        journal without them reads as before)."""
        if kind == "records":
            self.records = dict(event)
        elif kind == "count":
            self.counts[str(event["campaign"])] = int(event["records"])
        elif kind == "call":
            key = str(event["key"])
            self.calls.pop(key, None)  # an attempt again: last in the order sent
            self.calls[key] = CallRecord(
                key, str(event["call"]), str(event["campaign"]), str(event.get("id", "")),
                [int(r) for r in event.get("rows", [])], int(event.get("batch", 0)),
                float(event["at"]),
            )  # fmt: skip
        elif kind == "skip":
            self.skipped[str(event["campaign"])] = str(event.get("message", ""))
        elif kind == "answer":
            call = self.calls[str(event["key"])]
            call.status = str(event["status"])
            call.message = str(event.get("message", ""))

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


#: The journal's lines for records and starts (see :meth:`JournalState._apply_launch`).
_LAUNCH_EVENTS = frozenset({"records", "count", "call", "answer", "skip"})
#: The lines an undo adds to a finished run's journal (:mod:`importer.send.undo`).
_UNDO_EVENTS = frozenset({"undo", "delete_attempt", "delete_outcome", "undo_finish"})


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


def check_resumable(state: JournalState, path: Path) -> None:
    """Refuse to resume a journal that records no run (a crash before its first line)."""
    if not state.header:
        raise JournalError(
            _(
                "nothing to resume: the journal {path} records no run (it stopped "
                "before its first line was written). Run the same command without "
                "--resume."
            ).format(path=path)
        )


def _busy(path: Path) -> str:
    return _(
        "another wolkvox-import is writing {path}; wait for it to finish, or choose another --out."
    ).format(path=path)


class Journal:
    """An open journal file, locked by this process and appended to line by line.

    The file is unbuffered: each line goes to the system in one call, so no bytes wait
    in a buffer that a later flush (or closing the file) could write after a failure.
    """

    def __init__(
        self, path: Path, file: io.FileIO, held: Hold, *, now: Callable[[], float]
    ) -> None:
        self.path = path
        self.state = JournalState()
        #: Where a torn tail was set aside when the journal was opened, if one was.
        self.set_aside: Path | None = None
        #: The previous run's files, kept under dated names when this run started.
        self.archived: list[Path] = []
        self._file = file
        self._held = held
        self._now = now
        #: Set once a write failed: the file may end in part of a line, and a line
        #: written after it would be read as damage. Nothing more is written.
        self._failed: JournalError | None = None

    @classmethod
    def _open(cls, path: Path, now: Callable[[], float]) -> tuple[Journal, bytes]:
        """Open and lock ``path``; return the journal and what the file holds."""
        with _writing(path):
            file = open(path, "a+b", buffering=0)  # noqa: SIM115 - kept open for the run
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
            data = file.readall()  # through our own handle: Windows hides a locked byte
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
        keep: Sequence[Path] = (),
    ) -> Journal:
        """Begin a new journal. A finished run's journal at ``path`` is kept under a
        dated name (copied there, then emptied through the handle this process holds),
        and so are the files in ``keep`` (its results and retry file), under the same
        date: a new run never replaces what an earlier one recorded."""
        journal, old = cls._open(path, now)
        header = {
            "event": "start",
            "version": VERSION,
            **info,
            "rows": {str(k): v for k, v in hashes.items()},
        }
        try:
            kept = [p for p in (*keep, torn_path(path)) if p.exists()]
            if old or kept:
                journal._archive(old, kept)
        except BaseException:
            journal.close()
            raise
        try:
            journal.append(header, durable=True)
        except BaseException:
            journal._forget_header()  # the file was empty before it: nothing else is lost
            journal.close()
            raise
        return journal

    @classmethod
    def reopen(cls, path: Path, *, now: Callable[[], float]) -> Journal:
        """Open an existing journal to go on with it (``--resume``)."""
        journal, data = cls._open(path, now)
        try:
            journal.state, end = parse(data, path)
            check_resumable(journal.state, path)
            if end < len(data):
                journal._set_aside(data[end:], end)
            journal.append({"event": "resume"}, durable=True)
        except BaseException:
            journal.close()
            raise
        return journal

    @classmethod
    def extend(cls, path: Path, event: dict[str, Any], *, now: Callable[[], float]) -> Journal:
        """Open a finished run's journal to add lines after its end (an undo), beginning
        with ``event``; unlike :meth:`reopen` the run stays finished."""
        journal, data = cls._open(path, now)
        try:
            journal.state, end = parse(data, path)
            check_resumable(journal.state, path)
            if end < len(data):
                journal._set_aside(data[end:], end)
            journal.append(event, durable=True)
        except BaseException:
            journal.close()
            raise
        return journal

    def _archive(self, old: bytes, files: Sequence[Path]) -> None:
        """Keep the previous run's journal and ``files`` under one dated name each
        (``x.results.<date>.journal.jsonl``, ``x.results.<date>.xlsx``, ...), then
        empty the journal. The files are moved first: should this stop halfway, the
        journal is still here, and the next run dates it the same way, beside them."""
        source = self._file.fileno() if old else files[0]
        when = os.stat(source).st_mtime
        stamp = dt.datetime.fromtimestamp(when).strftime("%Y%m%dT%H%M%S")
        base = _base(self.path)
        moving = [*files, *([self.path] if old else [])]
        for n in range(1, 1000):
            tag = stamp if n == 1 else f"{stamp}-{n}"
            if not any(archived(p, base, tag).exists() for p in moving):
                break
        else:
            raise JournalError(_busy(self.path))  # never empty a journal we could not copy
        for file in files:
            target = archived(file, base, tag)
            try:
                os.replace(file, target)
            except OSError as exc:
                raise JournalError(_cannot_move(file, exc)) from None
            self.archived.append(target)
        if old:
            target = archived(self.path, base, tag)
            with _writing(target):
                with open(target, "xb") as copy:
                    _write_durably(copy, old)
                self._file.truncate(0)
                _sync(self._file.fileno())
            self.archived.append(target)

    def _set_aside(self, tail: bytes, end: int) -> None:
        """Keep a torn tail in the side file (durably), then cut it from the journal."""
        side = torn_path(self.path)
        with _writing(side), open(side, "ab") as kept:
            _write_durably(kept, tail + b"\n")
        with _writing(self.path):
            self._file.truncate(end)
            _sync(self._file.fileno())
        self.set_aside = side

    def _forget_header(self) -> None:
        """A header that did not fit is cut off again: the journal records no run."""
        with contextlib.suppress(OSError):
            self._file.truncate(0)

    def append(self, event: dict[str, Any], *, durable: bool = False) -> None:
        """Write one line. ``durable`` forces it (and all before it) to disk first.

        A failed write (a full disk, the drive gone) raises :class:`JournalError` with
        what to do, and the journal writes nothing more: the caller must not send.
        """
        if self._failed is not None:
            raise self._failed
        event.setdefault("at", round(self._now(), 3))
        line = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            _write_all(self._file, line)  # into the OS: survives a crash or kill -9
            if durable:
                _sync(self._file.fileno())  # onto the disk: survives a power cut too
        except OSError as exc:
            self._failed = JournalError(self._cannot_write(exc))
            raise self._failed from None
        self.state.apply(event)

    def _cannot_write(self, exc: OSError) -> str:
        why = exc.strerror or str(exc)
        if not self.state.header:  # the run's first line: nothing was sent
            return _nothing_sent(self.path, exc)
        return _(
            "cannot write the journal {path} ({why}). The run stopped: every request sent "
            "so far is recorded in the journal, and nothing more was sent. Free some disk "
            "space, then run the same command with --resume to finish the run and write "
            "its results."
        ).format(path=self.path, why=why)

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

    def records_start(self, info: Mapping[str, Any]) -> None:
        """Record, durably, the records' part of the run (their input, row hashes, the
        campaigns they were checked against), before any of them is sent."""
        self.append({"event": "records", **info}, durable=True)

    def count(self, campaign: str, campaign_id: str, records: int, source: str) -> None:
        """Record a campaign's ``records`` count before its first batch: what an unclear
        batch is settled against. ``source`` says where it came from (the list, or a
        campaign this run created, which holds none)."""
        event = {"event": "count", "campaign": campaign, "id": campaign_id,
                 "records": records, "source": source}  # fmt: skip
        self.append(event, durable=True)

    def call(
        self, key: str, call: str, campaign: str, campaign_id: str,
        rows: Sequence[int] = (), batch: int = 0,
    ) -> None:  # fmt: skip
        """Record, durably, that a batch or a start is about to be sent. Call before
        sending: a crash after it leaves the call unclear, never forgotten."""
        event: dict[str, Any] = {
            "event": "call", "key": key, "call": call, "campaign": campaign, "id": campaign_id,
        }  # fmt: skip
        if batch:
            event["batch"] = batch
        if rows:
            event["rows"] = list(rows)
        self.append(event, durable=True)

    def answer(self, key: str, status: str, message: str = "") -> None:
        """Record what a batch or a start came to (see :meth:`outcome`)."""
        self.append({"event": "answer", "key": key, "status": str(status), "message": message})

    def skip(self, campaign: str, message: str) -> None:
        """Record why the records of a campaign are not sent (its campaign was not
        created, or existed before the run)."""
        self.append({"event": "skip", "campaign": campaign, "message": message})

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


def _write_all(file: io.FileIO, data: bytes) -> None:
    """Write all of ``data``: an unbuffered write may take only part of it."""
    view = memoryview(data)
    while view:
        written = file.write(view)
        if not written:  # nothing taken and no error: treat it as the full disk it is
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _cannot_move(path: Path, exc: OSError) -> str:
    return _(
        "cannot move the previous run's {path} aside ({why}); nothing was sent. Close it if "
        "it is open in Excel, then run the same command again."
    ).format(path=path, why=exc.strerror or exc)


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` into a message for the operator."""
    try:
        yield
    except OSError as exc:
        raise JournalError(_nothing_sent(path, exc)) from None


def _nothing_sent(path: Path, exc: OSError) -> str:
    return _(
        "cannot write {path} ({why}); nothing was sent. Free some disk space or check the "
        "folder's permissions, then run the same command again."
    ).format(path=path, why=exc.strerror or exc)


def _write_durably(file: BinaryIO, data: bytes) -> None:
    file.write(data)
    file.flush()
    os.fsync(file.fileno())
