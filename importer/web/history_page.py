"""The page's history of its working folder, and undoing a finished import from it.

The runs are read from their journals (:func:`importer.record.history.runs`), as the command
line's ``history`` reads them. "Undo this import" shows the same listing as
``wolkvox-import undo`` (read from the campaign list with the token) and asks for the
number of campaigns to be typed; the deleting is :func:`importer.send.undo.undo`'s, journaled in
the run's journal, in a thread of its own as a run is sent: the page shows its progress and
comes back. The token is read for the listing and again with the confirmation (typed again
unless the page has ``--token-file``/``WOLKVOX_TOKEN``); between the two it is kept nowhere,
and the deleting thread holds it only until it ends. It is never sent back to the browser.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from importer.errors import ImporterError, UsageError
from importer.i18n import _, ngettext
from importer.record import history
from importer.status import Status, counted, label
from importer.web.app import Data, context, post, render
from importer.web.runs import ABOUT, RESULTS_NAME
from importer.web.uploads import content_disposition

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def routes() -> list[BaseRoute]:
    """The history page and the undo of one run."""
    return [
        Route("/history", history_page),
        Route("/history/{number}/download/{what}", download),
        Route("/undo/{number}", undo_page),
        post("/undo/{number}/list", undo_list),
        post("/undo/{number}/confirm", undo_confirm),
        Route("/undo/{number}/progress", undo_progress),
    ]


#: How long the confirmation waits for a short undo to end before showing its progress.
UNDO_WAIT = 0.5


@dataclass
class _Pending:
    """An undo listed and waiting for its confirmation (its token is not kept)."""

    count: int
    include_started: bool


@dataclass
class _Undoing:
    """An undo deleting in the background; only its thread holds the token."""

    total: int
    deleted: int = 0
    outcomes: int = 0
    said: list[str] = field(default_factory=list)
    done: Any = None
    error: str = ""
    ended: threading.Event = field(default_factory=threading.Event)

    def outcome(self, target: Any, status: str) -> None:
        self.outcomes += 1
        if status == Status.DELETED:
            self.deleted += 1

    def as_json(self) -> dict[str, Any]:
        state = "running" if not self.ended.is_set() else ("failed" if self.error else "finished")
        return {"state": state, "total": self.total, "done": self.outcomes,
                "deleted": self.deleted, "said": self.said[-5:], "error": self.error}  # fmt: skip


def undo_going(request: Request) -> bool:
    """True while an undo of this page is deleting (a send would meet its token lock)."""
    return any(not job.ended.is_set() for job in _undoing(request).values())


def _undoing(request: Request) -> dict[str, _Undoing]:
    state = request.app.state
    if not hasattr(state, "undoing"):
        state.undoing = {}
    found: dict[str, _Undoing] = state.undoing
    return found


def _pending(request: Request) -> dict[str, _Pending]:
    state = request.app.state
    if not hasattr(state, "undo_pending"):
        state.undo_pending = {}
    found: dict[str, _Pending] = state.undo_pending
    return found


def _folder(request: Request) -> Path:
    number = str(request.path_params["number"])
    folder = context(request).launch.workdir / "runs" / number
    if not re.fullmatch(r"[0-9]{1,9}", number) or not folder.is_dir():
        raise UsageError(_("There is no such run in this working folder."))
    return folder


def _uploaded_name(folder: Path) -> str:
    try:
        about = json.loads((folder / ABOUT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(about.get("name", "")) if isinstance(about, dict) else ""


def _shown(run: history.Run) -> dict[str, Any]:
    folder = run.journal.parent
    return {
        "number": folder.name,
        "run": run,
        "name": _uploaded_name(folder) or Path(run.input).name,
        "results": (folder / RESULTS_NAME).exists(),
        "retry": (folder / "campaigns.results.retry.xlsx").exists(),
        "can_undo": run.end in (history.End.FINISHED, history.End.UNDOING)
        and bool(run.counts.get("created")),
    }


async def history_page(request: Request) -> Response:
    """Every run of the working folder, newest first, with what can be done with each."""
    ctx = context(request)
    found, unreadable = await run_in_threadpool(history.runs, ctx.launch.workdir)
    page_runs = [r for r in found if r.journal.parent.parent == ctx.launch.workdir / "runs"]
    labels = {str(s): label(s) for s in Status}
    labels[history.UNRECORDED] = _("never sent")
    return render(
        request, "history.html", runs=[_shown(r) for r in reversed(page_runs)],
        unreadable=unreadable, interrupted=ctx.runs.interrupted(),
        token_source=ctx.launch.token_source(), labels=labels, counted=_counted,
    )  # fmt: skip


def _counted(status: str, n: int) -> str:
    """``n`` rows with ``status`` in words, the plural as the count needs."""
    if status == history.UNRECORDED:
        return ngettext("{n} never sent", "{n} never sent", n).format(n=n)
    return counted(status, n) if status in set(Status) else f"{n} {status}"


async def download(request: Request) -> Response:
    """A run's results workbook or retry file, from its folder."""
    try:
        folder = _folder(request)
    except UsageError as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    what = request.path_params["what"]
    names = {"results": RESULTS_NAME, "retry": "campaigns.results.retry.xlsx"}
    if what not in names or not (folder / names[what]).exists():
        return JSONResponse({"error": _("There is no such file yet.")}, status_code=404)
    base = Path(_uploaded_name(folder) or "campaigns").stem
    name = f"{base}.results.xlsx" if what == "results" else f"{base}.results.retry.xlsx"
    return FileResponse(
        folder / names[what], media_type=XLSX,
        headers={"content-disposition": content_disposition(name)},
    )  # fmt: skip


def _undo_values(request: Request, folder: Path, **values: Any) -> dict[str, Any]:
    ctx = context(request)
    return {
        "number": folder.name,
        "name": _uploaded_name(folder),
        "token_source": ctx.launch.token_source(),
        "plan": None,
        "done": None,
        "undoing": None,
        "error": "",
        **values,
    }


async def undo_page(request: Request) -> Response:
    """Step one of an undo: what it does, and the token to read the campaign list."""
    try:
        folder = _folder(request)
    except UsageError as exc:
        return render(request, "undo.html", status=404, **_undo_values(request, Path("."),
                      error=str(exc)))  # fmt: skip
    job = _undoing(request).get(folder.name)
    if job is not None and not job.ended.is_set():
        return render(request, "undo.html", **_undo_values(request, folder, undoing=job.as_json()))
    if job is not None and request.query_params.get("again") != "1":
        return render(request, "undo.html", **_finished(request, folder, job))
    _undoing(request).pop(folder.name, None)  # an ended undo, put aside to start again
    return render(request, "undo.html", **_undo_values(request, folder))


def _token(request: Request, data: Data, *, confirming: bool = False) -> str:
    ctx = context(request)
    if ctx.launch.simulate:
        from importer.sandbox.server import DEFAULT_TOKEN

        return DEFAULT_TOKEN
    token = ctx.launch.read_token(str(data.get("token", "")))
    if token is None:
        if confirming:
            raise UsageError(_("Type the token (from wolkvox manager) again to delete them."))
        raise UsageError(_("Type the token (from wolkvox manager) to see what would be deleted."))
    return token


def _refuse_while_sending(request: Request) -> None:
    if context(request).runs.active:
        raise UsageError(_("A run is being sent; undo another import once it has ended."))


async def undo_list(request: Request, data: Data) -> Response:
    """Step two: the listing (read from the campaign list), and the typed confirmation."""
    from importer.send.undo import undo

    folder = Path(".")
    try:
        folder = _folder(request)
        _refuse_while_sending(request)
        token = _token(request, data)
        include = data.get("include_started") == "1"
        done = await run_in_threadpool(
            lambda: undo(folder / RESULTS_NAME, token=token, confirm=lambda plan: False,
                         include_started=include, dry_run=True, policy=_policy(request))
        )  # fmt: skip
    except ImporterError as exc:
        return render(request, "undo.html", status=400,
                      **_undo_values(request, folder, error=str(exc)))  # fmt: skip
    if done.plan is None:  # nothing to undo: an earlier undo deleted everything
        return render(request, "undo.html", **_undo_values(request, folder, done=done))
    ended = _undoing(request).get(folder.name)
    if ended is not None and ended.ended.is_set():
        _undoing(request).pop(folder.name, None)  # a new listing: the last undo is over
    _pending(request)[folder.name] = _Pending(len(done.plan.delete), include)
    return render(request, "undo.html", **_undo_values(request, folder, plan=done.plan,
                  include_started=include))  # fmt: skip


async def undo_confirm(request: Request, data: Data) -> Response:
    """Step three: delete, once the number typed is the number of campaigns listed. The
    deleting goes on in its own thread; the page shows its progress (:func:`undo_progress`)."""
    from importer.send.undo import Plan, undo

    folder = Path(".")
    try:
        folder = _folder(request)
        _refuse_while_sending(request)
        going = _undoing(request).get(folder.name)
        if going is not None and not going.ended.is_set():
            return RedirectResponse(f"/undo/{folder.name}", status_code=303)
        pending = _pending(request).get(folder.name)
        if pending is None:
            return RedirectResponse(f"/undo/{folder.name}", status_code=303)
        token = _token(request, data, confirming=True)
        _pending(request).pop(folder.name, None)
        typed = str(data.get("count", "")).strip()

        def confirm(plan: Plan) -> bool:
            # the list is read again: the number must still be the one the person saw
            return typed == str(len(plan.delete)) == str(pending.count)

        job = _Undoing(total=pending.count)
        policy = _policy(request)
        target = folder / RESULTS_NAME

        def work() -> None:
            try:
                job.done = undo(target, token=token, confirm=confirm, say=job.said.append,
                                include_started=pending.include_started, policy=policy,
                                on_outcome=job.outcome)  # fmt: skip
            except ImporterError as exc:
                job.error = str(exc)
            except Exception as exc:  # a fault: its text could hold anything
                job.error = _(
                    "Internal error ({kind}). The undo's journal stays valid: undo this "
                    "import again to finish it. Please report it."
                ).format(kind=type(exc).__name__)
            finally:
                job.ended.set()

        _undoing(request)[folder.name] = job
        context_ = contextvars.copy_context()  # the page's language, in the thread too
        threading.Thread(target=context_.run, args=(work,), name="wolkvox-import-undo",
                         daemon=True).start()  # fmt: skip
    except ImporterError as exc:
        return render(request, "undo.html", status=400,
                      **_undo_values(request, folder, error=str(exc)))  # fmt: skip
    await run_in_threadpool(job.ended.wait, UNDO_WAIT)  # a short undo comes back done
    return RedirectResponse(f"/undo/{folder.name}", status_code=303)


async def undo_progress(request: Request) -> Response:
    """How far the undo of a run is (JSON), for the page that shows it."""
    try:
        folder = _folder(request)
    except UsageError as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    job = _undoing(request).get(folder.name)
    if job is None:
        return JSONResponse({"state": "none"})
    return JSONResponse(job.as_json())


def _finished(request: Request, folder: Path, job: _Undoing) -> dict[str, Any]:
    """What the undo page shows of an undo that ended (until it is started again)."""
    if job.error:
        return _undo_values(request, folder, error=job.error)
    run = context(request).runs.current
    if run is not None and run.folder == folder and job.done.report is not None:
        run.report = job.done.report  # the results page shows the deleted rows too
    return _undo_values(request, folder, done=job.done)


def _policy(request: Request) -> Any:
    from importer.send.policy import Policy

    ctx = context(request)
    policy = Policy()
    if ctx.launch.simulate:
        policy.reconcile_after = 0.0  # the simulated server lives in this process
    elif ctx.launch.reconcile_after is not None:
        policy.reconcile_after = ctx.launch.reconcile_after
    return policy
