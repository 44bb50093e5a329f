"""Steps 4 and 5: send (with live progress, Stop and Resume), then results and downloads.

While a run of the working folder is unfinished no other starts: the page offers to
resume it or to close it (its results written from its journal), so that no row of
it is ever left without a status.
"""

from __future__ import annotations

import math
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from importer.errors import ImporterError, UsageError
from importer.i18n import _
from importer.read import load
from importer.read.layout import original_rows
from importer.record import results as results_module
from importer.send.client import base_url_for
from importer.send.policy import (
    DAILY_CALLS,
    DEFAULT_BATCH,
    DEFAULT_TIMEOUT,
    ESTIMATED_CALL_SECONDS,
)
from importer.status import Ended, Status, label
from importer.web import corrected
from importer.web.app import Context, Data, context, post, render
from importer.web.record_space import RUN_RECORDS
from importer.web.runs import Run, Tally, cannot_write, human_seconds, unfinished_message
from importer.web.uploads import content_disposition, download_name
from importer.web.wording import split_said
from importer.web.workspace import Reviewed, Workspace, check_reads_back

POLL_MS = 250
#: Rows on one page of the results (a long run's rows are paged, and can be filtered).
RESULTS_PAGE = 100
#: How long Send waits for the run to read the campaign list before showing its progress:
#: a token or an address refused there is told on the Send page itself, with the field
#: ready. Past this the progress page shows the wait, and goes back to Send if refused.
FIRST_CALL_WAIT = 10.0
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
#: The blank template's name, in the working folder and as downloaded.
TEMPLATE_NAME = "campaigns-template.xlsx"


def routes() -> list[BaseRoute]:
    """The routes of steps 4 and 5."""
    return [
        Route("/send", send_page),
        post("/send", send),
        post("/quota", quota),
        post("/stop", stop),
        post("/resume", resume),
        post("/close", close),
        Route("/progress", progress),
        Route("/results", results_page),
        Route("/download/{what}", download),
    ]


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


#: The sending step right after Send or Resume: it goes on to the results when the run
#: ends, even when the run ended before the step was shown (a short run on a busy
#: machine); shown later, a finished run's step stays where it is.
JUST_STARTED = "/send?run=new"


def _destination(ctx: Context) -> str:
    if ctx.launch.simulate:
        return _("simulation (a local stand-in server; nothing real is created)")
    return ctx.launch.base_url or ""


@dataclass(frozen=True)
class Plan:
    """What a run will cost before it starts: its calls against the day's quota, and time."""

    #: rows the run sends at most (rows found in wolkvox already are not sent)
    rows: int
    #: seconds per call the estimate assumes
    per_call: float
    #: the records' batches, and the starts of dialling the run may make
    batches: int = 0
    starts: int = 0

    @property
    def calls(self) -> int:
        """One read of the campaign list, then one call per row, per batch of records and
        per start."""
        return 1 + self.rows + self.batches + self.starts

    @property
    def days(self) -> int:
        return max(1, math.ceil(self.calls / DAILY_CALLS))

    @property
    def seconds(self) -> float:
        return self.calls * self.per_call

    @property
    def time(self) -> str:
        return human_seconds(self.seconds)


def _plan(ctx: Context) -> Plan:
    """The calls of a run of the review as it is now (starts counted as if asked for)."""
    ws = ctx.workspace
    with ws.lock:
        records = ws.records
        if records.table is None:
            return Plan(ws.sendable(), _per_call(ctx))
        batches, starts = records.calls(DEFAULT_BATCH)
        return Plan(ws.sendable(), _per_call(ctx), batches, starts)


def _per_call(ctx: Context) -> float:
    """The seconds one call takes, for the estimate: the simulation's own delay, else the
    documented estimate for wolkvox."""
    if ctx.launch.simulate:
        latency = float(getattr(ctx.launch.args, "simulate_latency", 0.0) or 0.0)
        return max(latency, 0.05)
    return ESTIMATED_CALL_SECONDS


async def send_page(
    request: Request, error: str = "", status: int = 200,
    refused_now: dict[str, str] | None = None, quota_lines: list[str] | None = None,
) -> Response:  # fmt: skip
    """Step 4: what will be sent and where, or the run going on; while a run is
    unfinished, the choice to resume or close it instead. A run wolkvox refused before
    anything was sent (a wrong token or address) is told here, the field ready again."""
    ctx = context(request)
    refused = ctx.runs.take_refusal()
    ws, run = ctx.workspace, ctx.runs.current
    unfinished = ctx.runs.interrupted()
    if run is None and ws.table is None and unfinished is None:
        return _see("/")
    refusal = refused_now
    if refused is not None and refused.refusal is not None:
        refusal = _refusal(refused.refusal)
        status = 400
    tally = None
    if ws.checked is not None and ws.table is not None:
        tally = Tally(rows=len(ws.table.frame), problems=len(ws.table.frame) - ws.sendable())
    # a sheet already sent shows its run (and its results), not the offer to send it
    sent = run is not None and ws.was_sent()
    shown = run if (run is not None and (run.running or ws.table is None or sent)) else None
    return render(
        request,
        "send.html",
        status=status,
        run=shown,
        running=ctx.runs.active,
        tally=shown.tally() if shown is not None else tally,
        plan=_plan(ctx) if tally is not None else None,
        daily=DAILY_CALLS,
        valid=tally.to_send if tally is not None else 0,
        # the review's numbers: rows with problems and rows left out, apart
        invalid=sum(1 for r in ws.by_row if r not in ws.excluded) if tally is not None else 0,
        left_out=len(ws.excluded) if tally is not None else 0,
        destination=_destination(ctx),
        ask_server=not ctx.launch.simulate and not ctx.launch.base_url,
        token_source=ctx.launch.token_source(),
        error=error,
        refusal=refusal,
        poll_ms=POLL_MS,
        interrupted=unfinished,
        labels=_labels(),
        version=ws.version,
        records=_records_plan(ctx),
        quota=quota_lines,
        just_started=request.query_params.get("run") == "new",
    )


def _records_plan(ctx: Context) -> dict[str, int] | None:
    """The records the run loads: how many, in how many batches (one campaign's
    records per batch, at most the batch size each), and how many have problems."""
    records = ctx.workspace.records
    if records.table is None:
        return None
    with ctx.workspace.lock:
        batches, _starts = records.calls(DEFAULT_BATCH)
        invalid = sum(1 for r in records.by_row if r not in records.excluded)
        return {"valid": records.sendable(), "invalid": invalid, "batches": batches,
                "left_out": len(records.excluded)}  # fmt: skip


def _refusal(exc: Any) -> dict[str, str]:
    """What the Send page says of a refusal: wolkvox's answer as a sentence, its own words
    beside it, what was (not) done, and the field to put right."""
    answer = exc.answer
    field = {Ended.TOKEN: "token"}.get(answer.reason, "server")
    if exc.resume:
        after = _("Nothing was sent, and the run is still unfinished: put that right, then "
                  "resume it again.")  # fmt: skip
    else:
        after = _("Nothing was sent and nothing was marked: put that right, then send again.")
    return {"sentence": answer.sentence, "said": answer.said, "after": after, "field": field}


async def send(request: Request, data: Data) -> Response:
    """Write the corrected sheet into a new run folder and start the run on it."""
    from importer.web.history_page import undo_going

    ctx = context(request)
    ws = ctx.workspace
    if ws.table is None or ws.checked is None:
        return _see("/")
    if ctx.runs.active:
        return _see("/send")
    # (the undone run's journal grows meanwhile: it must not read as a run to close)
    if undo_going(request):
        return await send_page(request, _(
            "An undo is deleting campaigns; send once it has ended (its page shows how far "
            "it is)."), 409)  # fmt: skip
    unfinished = ctx.runs.interrupted()
    if unfinished is not None:
        return await send_page(request, unfinished_message(unfinished), 409)
    if str(data.get("version", ws.version)) != str(ws.version):
        # another tab changed the sheet since this one showed it: what it showed is not
        # what would be sent
        return await send_page(request, _(
            "The sheet was changed in another tab after this page was shown, so it was not "
            "sent. Look at the review again (it shows the changes), then send."), 409)  # fmt: skip
    if not ws.sendable():
        return await send_page(request, _("No row can be sent: fix the marked cells first."), 400)
    folder: Path | None = None
    try:
        token, base_url = _where(ctx, data)
        if ws.operation is None:
            # the review had no list of the operation: read it now, and send only when the
            # rows read as the review showed them
            stopped = await _connect_at_send(request, ctx, base_url, token)
            if stopped is not None:
                return stopped
        folder = ctx.runs.new_folder()
        run = Run(folder=folder, name=ws.upload.name if ws.upload else "", base_url=base_url,
                  simulate=ctx.launch.simulate, rows=len(ws.table.frame),
                  problems=len(ws.table.frame) - ws.sendable())  # fmt: skip
        # The rows the review checked, as the run will read them; read back by the
        # engine and compared before anything is sent.
        # With it, under the same hold on the workspace, what the run's corrected
        # download is made from (the upload and its edits), kept for after a restart.
        reviewed, record = await run_in_threadpool(ws.locked, _run_files, ws, run.input)
        await run_in_threadpool(record.save, folder / corrected.RECORD_NAME)
        # a retry file's rows are shown by the row numbers the person knows
        run.originals = original_rows(reviewed.frame)
        settings = ctx.launch.settings(run.input, run.out, base_url, resume=False,
                                       skills=ws.pinned_skills())  # fmt: skip
        settings.excluded = reviewed.excluded
        if reviewed.records is not None:
            # the run's --records file, written beside its input; into campaigns this
            # run creates only (the page does not offer --into-existing)
            settings.records = run.input.with_name(RUN_RECORDS)
            settings.into_existing = False
            settings.start = data.get("start") in ("1", "on", True)
            settings.records_excluded = reviewed.records.excluded
            run.records = ws.records.sendable()
        if ws.upload is not None:
            settings.origin = (ws.upload.name, ws.table.source)
        settings.simulated = ctx.launch.simulate
        await run_in_threadpool(check_reads_back, reviewed, settings)
        ctx.runs.start(run, settings, token)
        ws.sent_version = ws.version
    except (ImporterError, OSError) as exc:
        if folder is not None:  # nothing was sent from it: no run to keep
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, OSError):
            return await send_page(request, cannot_write(ctx.launch.workdir, exc), 507)
        return await send_page(request, str(exc), 400)
    await run_in_threadpool(_first_call, run)
    if run.state == "finished" and not run.progress.begun.is_set():
        # Ended before its first row, the campaign list read stopping it (an error, the
        # day's quota, a token busy past --retry-for): the Results page says why, with
        # the retry file; the Send page would only show the form again.
        return _see("/results")
    return _see(JUST_STARTED)


async def quota(request: Request, data: Data) -> Response:
    """The Send step's "calls left today" button: ``token_info`` read once, with the token
    Send would use, set against the calls this run needs. Nothing is sent; the token is
    neither shown nor kept."""
    from importer.job import REFUSED_AT_START, NothingSent
    from importer.send.client import ListRefused
    from importer.send.quota import read_quota

    ctx = context(request)
    ws = ctx.workspace
    if ws.table is None or ws.checked is None:
        return _see("/")
    if ctx.runs.active:  # the run holds the token lock: its own progress says enough
        return _see("/send")
    plan = _plan(ctx)
    try:
        token, base_url = _where(ctx, data)
        timeout = float(getattr(ctx.launch.args, "timeout", None) or DEFAULT_TIMEOUT)
        told = await run_in_threadpool(
            lambda: read_quota(
                base_url,
                token,
                rows=plan.rows,
                needed=plan.calls,
                timeout=timeout,
                records_calls=plan.batches + plan.starts,
            )
        )
    except ListRefused as exc:
        if exc.answer.reason in REFUSED_AT_START:  # a wrong token or address: said as at Send
            refused = _refusal(NothingSent(exc.answer, resume=False))
            return await send_page(request, status=400, refused_now=refused)
        return await send_page(request, str(exc), 503)
    except ImporterError as exc:
        return await send_page(request, str(exc), 400)
    return await send_page(request, quota_lines=told.lines())


async def _connect_at_send(
    request: Request, ctx: Context, base_url: str, token: str
) -> Response | None:
    """Read the operation's lists before a run whose review had none; a response when the
    run must not start: the lists could not be read, or they mark rows the review did not."""
    from importer.job import REFUSED_AT_START, NothingSent
    from importer.web.live import Unread
    from importer.web.pages import connect_review

    ws = ctx.workspace
    with ws.lock:
        before = (set(ws.by_row), ws.sendable())
    failed = await run_in_threadpool(connect_review, ws, ctx.launch, base_url, token)
    if isinstance(failed, Unread) and failed.refused is not None:
        answer = failed.refused.answer
        if answer.reason in REFUSED_AT_START:  # a wrong token or address: said as at Send
            refused = _refusal(NothingSent(answer, resume=False))
            return await send_page(request, status=400, refused_now=refused)
    if failed is not None:
        return await send_page(request, str(failed), 503)
    with ws.lock:
        after = (set(ws.by_row), ws.sendable())
    if after != before:
        return await send_page(request, _(
            "Nothing was sent: the operation's skills list, read now, marks rows the review "
            "showed without problems. Look at the review again (it shows them), then send."
        ), 409)  # fmt: skip
    return None


def _first_call(run: Run) -> None:
    """Wait (a little) until the run has read the campaign list: sending began, or it ended."""
    thread = run.thread
    deadline = FIRST_CALL_WAIT
    while deadline > 0 and thread is not None and thread.is_alive():
        if run.progress.begun.wait(0.05):
            return
        deadline -= 0.05


def _where(ctx: Context, data: Data, base_url: str | None = None) -> tuple[str, str]:
    """(token, base URL) for a run; the token is read now and kept by the run only."""
    if ctx.launch.simulate:
        from importer.sandbox.server import DEFAULT_TOKEN

        assert ctx.sandbox_url is not None
        return DEFAULT_TOKEN, ctx.sandbox_url
    base_url = base_url or ctx.launch.base_url or base_url_for(str(data.get("server", "")))
    token = ctx.launch.read_token(str(data.get("token", "")))
    if token is None:
        raise UsageError(_("Type the token (from wolkvox manager) to send."))
    return token, base_url


async def stop(request: Request, data: Data) -> Response:
    """The Stop button: what Ctrl-C does."""
    context(request).runs.stop()
    if request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"stopping": True})
    return _see("/send")


async def resume(request: Request, data: Data) -> Response:
    """Go on with the interrupted run of this working folder, through the same journal."""
    from importer.web.pages import upload_error

    ctx = context(request)
    found = ctx.runs.interrupted()
    if found is None:
        return _see("/")
    try:
        if found.simulate != ctx.launch.simulate or (
            not found.simulate and ctx.launch.base_url and found.base_url != ctx.launch.base_url
        ):
            where = _("the simulation") if found.simulate else found.base_url
            message = _(
                "This run was sent to {where}; start the page with the same server to resume it."
            )
            raise UsageError(message.format(where=where))
        # the server the run began with, never another
        token, base_url = _where(ctx, data, base_url=found.base_url)
        run = Run(folder=found.folder, name=found.name, base_url=base_url,
                  simulate=found.simulate, resume=True, input_file=found.input,
                  rows=found.tally.rows, problems=found.tally.problems)  # fmt: skip
        settings = ctx.launch.settings(run.input, run.out, base_url, resume=True)
        _records_as_run(ctx, run, settings)
        settings.origin = (run.name, "") if run.name else None
        settings.simulated = ctx.launch.simulate
        run.originals = await run_in_threadpool(_originals_of, run.input)
        ctx.runs.start(run, settings, token)
    except ImporterError as exc:
        return await upload_error(request, 400, str(exc))
    await run_in_threadpool(_first_call, run)
    return _see(JUST_STARTED)


def _records_as_run(ctx: Context, run: Run, settings: Any) -> None:
    """A resumed run reads the records it read (its ``--records`` file), with the
    options its journal kept for them."""
    from importer.send.journal import journal_path

    state = ctx.runs._state(journal_path(run.out))
    if state is None or not state.records:
        return
    settings.records = Path(str(state.records.get("input", ""))) or run.input.with_name(RUN_RECORDS)
    options = state.records.get("options") or {}
    settings.start = bool(options.get("start"))
    settings.into_existing = bool(options.get("into_existing"))
    # the records it loads at most, as its first start counted them
    run.records = int(ctx.runs._about(run.folder).get("records") or 0)


def _originals_of(path: Path) -> dict[int, int]:
    """The first sheet's row numbers of a run's input, when it is a retry file."""
    from importer.read.load import load_table

    try:
        return original_rows(load_table(path).frame)
    except ImporterError:
        return {}  # the run itself says what is wrong with its input


async def close(request: Request, data: Data) -> Response:
    """Close the unfinished run without resuming it: its results, from its journal."""
    from importer.web.pages import upload_error

    ctx = context(request)
    try:
        await run_in_threadpool(ctx.runs.close)
    except ImporterError as exc:
        return await upload_error(request, 400, str(exc))
    except OSError as exc:
        return await upload_error(request, 507, cannot_write(ctx.launch.workdir, exc))
    return _see("/results")


async def progress(request: Request) -> Response:
    """The run's progress for the page's short polling (JSON)."""
    ctx = context(request)
    run = ctx.runs.current
    if run is None:
        # refused before anything was sent: the Send page says why
        return JSONResponse({"state": "refused" if ctx.runs.refused is not None else "none"})
    try:
        since = max(0, int(request.query_params.get("since", "0")))
    except ValueError:
        since = 0
    snap = run.progress.snapshot(since)
    left = snap.pop("left")
    # a retry file's rows by the row numbers the person knows: the first sheet's
    shown = run.originals
    snap["rows"] = [[shown.get(r, r), s, label(s), n] for r, s, n in snap["rows"]]
    if snap["current"]:
        snap["current"][0] = shown.get(snap["current"][0], snap["current"][0])
    tally = run.tally()
    return JSONResponse(
        {
            **snap,
            "state": run.state,
            "text": f"{tally.done}/{tally.to_send}" if snap["begun"] else "",
            "tally": tally.as_json(),
            "elapsed_text": human_seconds(snap["elapsed"]),
            "left_text": _("about {time} left").format(time=human_seconds(left))
            if left is not None
            else "",
            "counts_text": {s: label(s) for s in snap["counts"]},
            "messages": run.messages[-20:],
            "error": run.error,
            **({"records": _records_progress(ctx, run)} if run.records else {}),
        }
    )


#: How often (seconds) the progress reads the journal again for the records' batches.
RECORDS_EVERY = 1.0


def _records_progress(ctx: Context, run: Run) -> dict[str, Any]:
    """How far the records are: records whose batch was answered, of those to load, from
    the run's journal (the truth), read again at most every :data:`RECORDS_EVERY`."""
    import time

    from importer.send.journal import journal_path
    from importer.send.launch import ADD_RECORD

    when, done, batches = run.records_seen
    now = time.monotonic()
    if now - when >= RECORDS_EVERY or not run.running:
        state = ctx.runs._state(journal_path(run.out))
        if state is not None:
            answered = [c for c in state.calls.values() if c.call == ADD_RECORD and c.status]
            done, batches = sum(len(c.rows) for c in answered), len(answered)
        run.records_seen = (now, done, batches)
    text = _("Records: {done} of {total} loaded, in {batches} batches so far").format(
        done=done, total=run.records, batches=batches
    )
    return {"total": run.records, "done": done, "batches": batches, "text": text}


async def results_page(request: Request) -> Response:
    """Step 5: each row's outcome (a page of them, of one status if asked) and the downloads."""
    from importer.web.pages import pager_url

    ctx = context(request)
    run = ctx.runs.current
    if run is None or run.running:
        return _see("/send" if run is not None else "/")
    report = run.report
    tally = run.tally()
    every = report.results if report else []
    wanted = request.query_params.get("status", "")
    if wanted not in {str(s) for s in Status}:
        wanted = ""
    chosen = [r for r in every if r.status == wanted] if wanted else every
    pages = max(1, -(-len(chosen) // RESULTS_PAGE))
    try:
        page = min(max(1, int(request.query_params.get("page", "1"))), pages)
    except ValueError:
        page = 1
    shown = chosen[(page - 1) * RESULTS_PAGE : page * RESULTS_PAGE]
    present = Counter(str(r.status) for r in every)
    return render(
        request,
        "results.html",
        run=run,
        tally=tally,
        report=report,
        rows=[(r, *split_said(r.message)) for r in shown],
        statuses=[(s, present[s]) for s in (str(s) for s in Status) if present[s]],
        wanted=wanted,
        page=page,
        pages=pages,
        pager_url=pager_url("/results", {"status": wanted}),
        ended=split_said(report.ended_message) if report and report.ended_message else None,
        labels=_labels(),
        interrupted=ctx.runs.interrupted(),
        corrected_kind=_corrected_kind(run),
        retry=report is not None and report.retry is not None and report.retry.exists(),
        token_source=ctx.launch.token_source(),
        ask_server=False,
        records=_records_outcome(report),
    )


def _records_outcome(report: Any) -> dict[str, Any] | None:
    """The records' outcome for the results page: counts by status (in words), and per
    campaign with its start; None when the run had no records."""
    from importer.record.record_results import campaign_shown, counts, per_campaign
    from importer.status import counted_records, record_label, start_label

    if report is None or report.records is None:
        return None
    by_status = [(s, record_label(s), n) for s, n in counts(report.records).items() if n]
    campaigns = []
    for key, tally in per_campaign(report.records).items():
        # named as the person wrote it, as the summary sheet names it (the starts too)
        name = campaign_shown(key, report.record_names)
        told = ", ".join(counted_records(s, n) for s, n in tally.items())
        start = report.starts.get(name, "")
        campaigns.append((name, told, start_label(start) if start else ""))
    retry = report.records_retry
    return {
        "total": len(report.records), "by_status": by_status, "campaigns": campaigns,
        "retry": retry is not None and retry.exists(), "retry_rows": report.records_retry_rows,
    }  # fmt: skip


def _corrected_kind(run: Run) -> str:
    """The kind of file the run's corrected download is made from ("" if unknown)."""
    kept = run.folder / corrected.RECORD_NAME
    try:
        return corrected.Corrections.load(kept).kind if kept.exists() else ""
    except (OSError, ValueError, KeyError, TypeError):
        return ""


#: Statuses of rows no request went out for.
_NEVER_SENT = frozenset({Status.NOT_SENT, Status.INVALID, Status.EXISTS})


def _labels() -> dict[str, str]:
    return {s: label(s) for s in Status}


async def download(request: Request) -> Response:
    """The results workbook, the retry file, or the corrected spreadsheet (``edited``
    before a run, ``corrected`` after it; ``-xlsx`` asks for a workbook with the marks)."""
    ctx = context(request)
    what = request.path_params["what"]
    if what in CORRECTED:
        return await _corrected(ctx, what)
    if what == "template":
        return await _template(ctx)
    path, suffix = _download_path(ctx, what)
    if path is None or not path.exists():
        return JSONResponse({"error": _("There is no such file yet.")}, status_code=404)
    run = ctx.runs.current
    name = download_name(run.name if run else "", suffix)
    return FileResponse(
        path,
        media_type=XLSX,
        headers={"content-disposition": content_disposition(name)},
    )


#: The corrected spreadsheet's downloads: before a run (``edited``: the edits so far) and
#: after it (``corrected``: the edits the run was sent with); ``-xlsx``: as a workbook.
CORRECTED = ("edited", "edited-xlsx", "corrected", "corrected-xlsx", "problems", "problems-xlsx",
             "records-edited", "records-edited-xlsx")  # fmt: skip


async def _template(ctx: Context) -> Response:
    """The blank template, as ``wolkvox-import template`` writes it (made once per start)."""
    from importer.template import write_template

    path = ctx.launch.workdir / TEMPLATE_NAME
    try:
        if not path.exists():  # written aside, then moved: never served half-written
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{TEMPLATE_NAME}")
            await run_in_threadpool(write_template, tmp, replace=True)  # a torn earlier try
            os.replace(tmp, path)
    except (ImporterError, OSError) as exc:
        why = cannot_write(ctx.launch.workdir, exc) if isinstance(exc, OSError) else str(exc)
        return JSONResponse({"error": why}, status_code=507)
    return FileResponse(
        path, media_type=XLSX, headers={"content-disposition": content_disposition(TEMPLATE_NAME)}
    )


async def _corrected(ctx: Context, what: str) -> Response:
    """The person's own spreadsheet with the cells changed on the page."""
    ws = ctx.workspace
    record: corrected.Corrections | None = None
    if what.startswith("records-"):
        # records of a file of their own; a launch workbook's records sheet has its
        # changes in the campaigns' corrected workbook
        records = ws.records
        if records.table is not None and records.own_file:
            record = await run_in_threadpool(ws.locked, records.corrections)
        folder = ctx.launch.workdir
    elif what.startswith(("edited", "problems")):
        if ws.table is not None and ws.upload is not None:
            only = what.startswith("problems")
            record = await run_in_threadpool(ws.locked, lambda: ws.corrections(problems_only=only))
        folder = ctx.launch.workdir
    else:
        run = ctx.runs.current
        if run is None or run.running:
            return JSONResponse({"error": _("There is no such file yet.")}, status_code=404)
        try:
            record = await run_in_threadpool(_run_corrections, run)
        except (ImporterError, OSError) as exc:
            return _not_written(exc)
        folder = run.folder
    if record is None or not record.source.exists():
        return JSONResponse({"error": _("There is no such file yet.")}, status_code=404)
    marked = what.endswith("-xlsx")
    suffix = f".{record.part}.xlsx" if marked else record.suffix
    path = folder / f"{what}{Path(suffix).suffix}"
    try:
        await run_in_threadpool(corrected.write_corrected, path, record, marked=marked)
    except OSError as exc:
        return JSONResponse({"error": cannot_write(folder, exc)}, status_code=507)
    except ImporterError as exc:
        return _not_written(exc)
    media = CSV if suffix.endswith(".csv") else XLSX
    return FileResponse(
        path, media_type=media,
        headers={"content-disposition": content_disposition(download_name(record.name, suffix))},
    )  # fmt: skip


def _run_corrections(run: Run) -> corrected.Corrections | None:
    """What a finished run's corrected download is made from: the record kept at Send;
    for a run without one (started by an older page), its input, which holds the rows
    as they were sent."""
    kept = run.folder / corrected.RECORD_NAME
    if kept.exists():
        return corrected.Corrections.load(kept)
    if not run.input.exists():
        return None
    table = load.load_table(run.input)
    return corrected.Corrections(
        source=run.input, name=run.name or run.input.name, kind=run.input.suffix[1:].lower(),
        sheet=table.sheet, encoding=table.encoding, delimiter=table.delimiter,
        header_row=table.header_row, positions={}, edits=[],
    )  # fmt: skip


def _not_written(exc: Exception) -> Response:
    why = exc.strerror if isinstance(exc, OSError) else str(exc)
    message = _("The corrected spreadsheet could not be written ({why}).")
    return JSONResponse({"error": message.format(why=why)}, status_code=409)


def _run_files(ws: Workspace, path: Path) -> tuple[Reviewed, corrected.Corrections]:
    """The run's input written at ``path`` with what the review checked, and the record
    of the corrected download: taken together, so that both hold the same edits."""
    return ws.write_run_input(path), ws.corrections()


def _download_path(ctx: Context, what: str) -> tuple[Path | None, str]:
    run = ctx.runs.current
    if run is None or run.running:
        return None, ""
    if what == "results":
        return run.out, ".results.xlsx"
    if what == "retry":
        # the name the command line gives it: one name for the file on both faces
        return results_module.retry_path(run.out), ".results.retry.xlsx"
    if what == "records-retry":
        from importer.record.record_results import records_retry_path

        # the name the command line gives it: one name for the file on both faces
        return records_retry_path(run.out), ".results.records.retry.xlsx"
    return None, ""
