"""The review's records tab: the launch's records, every cell editable, problems marked.

The records come with the campaigns (the launch workbook's records sheet) or as a second
file uploaded on this tab; see :mod:`importer.web.record_space`.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from importer import i18n
from importer.check.record_fields import FIELDS as RECORD_FIELDS
from importer.errors import InputError
from importer.i18n import _
from importer.web.app import Data, context, post, render
from importer.web.pages import (
    PAGE_SIZE,
    column_change,
    exclude_change,
    grid_change,
    next_problem,
    own_headers,
    pager_url,
    undo_label,
    undo_said,
)
from importer.web.runs import cannot_write
from importer.web.uploads import store


def routes() -> list[BaseRoute]:
    """The routes of the records tab."""
    return [
        Route("/records", records_page),
        post("/records/upload", records_upload, on_error=records_error),
        post("/records/cell", record_cell),
        post("/records/column", record_column),
        post("/records/exclude", record_exclude),
        post("/records/undo", record_undo),
    ]


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def records_page(request: Request, error: str = "", status: int = 200) -> Response:
    """The records tab: a page of records, or the form to add a records file."""
    ws = context(request).workspace
    if ws.table is None:
        return _see("/columns" if ws.upload is not None else "/")
    records = ws.records
    query = request.query_params
    only = query.get("only") == "1"
    search = query.get("q", "").strip()[:200]
    with ws.lock:
        values: dict[str, Any] = {"error": error or records.error, "records": records}
        if records.table is not None:
            rows = records.rows(only_problems=only, search=search)
            pages = max(1, -(-len(rows) // PAGE_SIZE))
            try:
                page = min(max(1, int(query.get("page", "1"))), pages)
            except ValueError:
                page = 1
            fields = records.fields
            page, focus = next_problem(query, rows, records.by_row, fields, page)
            shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            frame = records.table.frame
            values.update(
                fields=fields,
                rows=[(r, [str(frame.at[r, f]) if f in frame else "" for f in fields])
                      for r in shown],
                problems=records.cell_problems, invalid=set(records.by_row),
                excluded=records.excluded, edited=records.edits, summary=records.summary(),
                only=only, search=search, matches=len(rows), page=page, pages=pages,
                focus=focus,
                pager_url=pager_url("/records", {"only": "1" if only else "", "q": search}),
                source=records.table.source, version=records.version,
                undo_label=_undo_label(records),
                headers=own_headers(records.table.layout, RECORD_FIELDS),
                corrected_kind=records.path.suffix[1:].lower() if records.path else "",
            )  # fmt: skip
        return render(request, "records.html", status=status, **values)


async def records_error(request: Request, status: int, message: str) -> Response:
    """A records file refused: the tab again, saying why."""
    return await records_page(request, message, status)


async def records_upload(request: Request, data: Data) -> Response:
    """Read a second file as the launch's records."""
    ctx = context(request)
    ws = ctx.workspace
    file = data.get("file")
    if ws.table is None:
        return _see("/")
    if not isinstance(file, UploadFile) or not (file.filename or "").strip():
        return await records_error(request, 400, _("Choose the file with the records first."))
    with ws.lock:
        ws.uploads += 1
        number = ws.uploads
    try:
        stored = await store(file, ctx.launch.workdir / "uploads", number)
        await run_in_threadpool(ws.locked, ws.open_records, stored)
    except InputError as exc:
        return await records_error(request, 400, str(exc))
    except OSError as exc:
        return await records_error(request, 507, cannot_write(ctx.launch.workdir, exc))
    return _see("/records")


async def record_cell(request: Request, data: Data) -> Response:
    """Change one record's cell; answer with its cleaned value and the shown cells whose
    state may have changed (its row, and the records sharing its customer_id)."""
    ctx = context(request)
    ws = ctx.workspace
    records = ws.records
    if records.table is None:
        return JSONResponse({"error": _("There are no records to change.")}, status_code=409)
    try:
        row, column = int(data.get("row", 0)), str(data.get("column", ""))
        value = str(data.get("value", ""))
        visible = [int(r) for r in data.get("rows", [])][:1000]
    except (TypeError, ValueError):
        return JSONResponse({"error": _("The change could not be read.")}, status_code=400)
    try:
        cleaned, cells, invalid = await run_in_threadpool(
            ws.locked, records.edit_shown, row, column, value, visible
        )
    except InputError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({
        "value": cleaned, "cells": cells, "invalid": invalid,
        "problems": cells[f"{row}:{column}"]["problems"], **_after_change(ctx),
    })  # fmt: skip


def _undo_label(records: Any) -> str:
    """What Undo would take back on the records tab, in words ("" when nothing)."""
    return undo_label(records, {
        "cell": _("Undo the last cell change"),
        "column": _("Undo the last change of a whole column"),
        "exclude": _("Undo the last record left out or taken back"),
    })  # fmt: skip


def _after_change(ctx: Any) -> dict[str, Any]:
    """What every answer to a change of the records carries: the counts, the version,
    what Undo does."""
    ws = ctx.workspace
    with ws.lock:
        # what a Send page shown before this change showed is not what would be sent
        ws.version += 1
        summary_html = ctx.templates.get_template("_record_summary.html").render(
            summary=ws.records.summary(), lang=i18n.current()
        )
        return {"summary": summary_html, "version": ws.version, "undo": _undo_label(ws.records)}


async def _change(request: Request, data: Data, act: Any, said: Any) -> Response:
    ws = context(request).workspace

    def changed() -> Any:
        done = act()
        # with the change, also when a plain form (no script) made it: a Send page
        # shown before it is not what would be sent
        ws.version += 1
        return done

    return await grid_change(
        request, data, changed, said, grid=ws.records, after=_after_change, home="/records",
        missing=_("There are no records to change."),
    )  # fmt: skip


async def record_column(request: Request, data: Data) -> Response:
    """Set, or find and replace, one column of the records (every record, or only its
    cells with a problem)."""
    act, said = column_change(context(request).workspace.records, data)
    return await _change(request, data, act, said)


async def record_exclude(request: Request, data: Data) -> Response:
    """Leave a record out of the run, or take it back in."""
    records = context(request).workspace.records
    left = _("Record {row} is left out: it will not be loaded.")
    back_in = _("Record {row} is taken back in.")
    try:
        act, said = exclude_change(records, data, left, back_in)
    except (TypeError, ValueError):
        return JSONResponse({"error": _("The change could not be read.")}, status_code=400)
    return await _change(request, data, act, said)


async def record_undo(request: Request, data: Data) -> Response:
    """Take back the last change of the records."""
    return await _change(request, data, context(request).workspace.records.undo_last, undo_said)
