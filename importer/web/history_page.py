"""The page's history of its working folder, and undoing a finished import from it.

The runs are read from their journals (:func:`importer.history.runs`), as the command
line's ``history`` reads them. "Undo this import" shows the same listing as
``wolkvox-import undo`` (read from the campaign list with the token) and asks for the
number of campaigns to be typed; the deleting is :func:`importer.undo.undo`'s, journaled in
the run's journal. The token of an undo is kept in memory between the listing and the
confirmation, for that undo only, and never sent back to the browser.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from importer import history
from importer.errors import ImporterError, UsageError
from importer.i18n import _, ngettext
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
    ]


@dataclass
class _Pending:
    """An undo listed and waiting for its confirmation: its token, in memory only."""

    token: str
    count: int
    include_started: bool


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
    return render(request, "undo.html", **_undo_values(request, folder))


def _token(request: Request, data: Data) -> str:
    ctx = context(request)
    if ctx.launch.simulate:
        from importer.sandbox import DEFAULT_TOKEN

        return DEFAULT_TOKEN
    token = ctx.launch.read_token(str(data.get("token", "")))
    if token is None:
        raise UsageError(_("Type the token (from wolkvox manager) to see what would be deleted."))
    return token


def _refuse_while_sending(request: Request) -> None:
    if context(request).runs.active:
        raise UsageError(_("A run is being sent; undo another import once it has ended."))


async def undo_list(request: Request, data: Data) -> Response:
    """Step two: the listing (read from the campaign list), and the typed confirmation."""
    from importer.undo import undo

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
    _pending(request)[folder.name] = _Pending(token, len(done.plan.delete), include)
    return render(request, "undo.html", **_undo_values(request, folder, plan=done.plan,
                  include_started=include))  # fmt: skip


async def undo_confirm(request: Request, data: Data) -> Response:
    """Step three: delete, once the number typed is the number of campaigns listed."""
    from importer.undo import Plan, undo

    folder = Path(".")
    try:
        folder = _folder(request)
        _refuse_while_sending(request)
        pending = _pending(request).pop(folder.name, None)
        if pending is None:
            return RedirectResponse(f"/undo/{folder.name}", status_code=303)
        typed = str(data.get("count", "")).strip()

        def confirm(plan: Plan) -> bool:
            # the list is read again: the number must still be the one the person saw
            return typed == str(len(plan.delete)) == str(pending.count)

        done = await run_in_threadpool(
            lambda: undo(folder / RESULTS_NAME, token=pending.token, confirm=confirm,
                         include_started=pending.include_started, policy=_policy(request))
        )  # fmt: skip
    except ImporterError as exc:
        return render(request, "undo.html", status=400,
                      **_undo_values(request, folder, error=str(exc)))  # fmt: skip
    run = context(request).runs.current
    if run is not None and run.folder == folder and done.report is not None:
        run.report = done.report  # the results page shows the deleted rows too
    return render(request, "undo.html", **_undo_values(request, folder, done=done))


def _policy(request: Request) -> Any:
    from importer.policy import Policy

    ctx = context(request)
    policy = Policy()
    if ctx.launch.simulate:
        policy.reconcile_after = 0.0  # the simulated server lives in this process
    elif ctx.launch.reconcile_after is not None:
        policy.reconcile_after = ctx.launch.reconcile_after
    return policy
