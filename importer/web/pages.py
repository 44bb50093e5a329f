"""Steps 1 to 3: upload, columns, review (with cells edited in place)."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from importer import i18n
from importer.check.columns import FIELDS
from importer.errors import ImporterError, InputError
from importer.i18n import _, ngettext
from importer.read.layout import Layout, original_rows
from importer.web.app import Data, context, post, render
from importer.web.live import read_for_review, where_for_review
from importer.web.runs import cannot_write
from importer.web.security import LANG_COOKIE
from importer.web.uploads import store
from importer.web.workspace import FIXED_VALUES

PAGE_SIZE = 100


def routes() -> list[BaseRoute]:
    """The routes of steps 1 to 3."""
    return [
        Route("/", upload_page),
        post("/upload", upload, on_error=upload_error),
        post("/sheet", sheet, on_error=upload_error),
        Route("/columns", columns_page),
        post("/columns", columns, on_error=upload_error),
        Route("/review", review_page),
        post("/cell", cell),
        post("/column", column_set),
        post("/values", values),
        post("/exclude", exclude),
        post("/undo", undo),
        post("/lang", language),
    ]


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def upload_page(request: Request) -> Response:
    """Step 1, or the run when one is going (a second tab lands there)."""
    ctx = context(request)
    if ctx.runs.active:
        return _see("/send")  # a second tab, or the page opened again: show the run
    replace = request.query_params.get("replace") == "1"
    return render(request, "upload.html", **_upload_values(ctx, "", replace=replace))


async def upload_error(request: Request, status: int, message: str) -> Response:
    """The upload page again, saying why the file (or the resume) was refused."""
    ctx = context(request)
    values = _upload_values(ctx, message, replace=True)
    return render(request, "upload.html", status=status, **values)


def _upload_values(ctx: Any, error: str, *, replace: bool) -> dict[str, Any]:
    """What the upload page shows: the error, the run to finish, the help, and whether a
    new upload would discard edits (then it asks first: ``replace`` is the answer)."""
    ws = ctx.workspace
    with ws.lock:
        current = ws.upload.name if ws.upload is not None else ""
        # a sheet sent keeps its edits with its run: nothing is discarded
        edited = 0 if ws.was_sent() else len(ws.edits)
    return {
        "error": error,
        "interrupted": ctx.runs.interrupted(),
        "token_source": ctx.launch.token_source(),
        "max_mb": f"{ctx.launch.max_upload / 1_000_000:g}",
        "workdir": str(ctx.launch.workdir),
        "current": current,
        "edited": edited,
        # a spreadsheet with edits is not replaced by a stray drop or click: asked first
        "ask_first": bool(current and edited and not replace),
        # the operation's lists are read at the upload by themselves when the page knows a
        # server and a token; else the person may give them here (or at Send)
        "ask_operation": not ctx.launch.simulate
        and not (ctx.launch.base_url and ctx.launch.token_source()),
        "ask_server": not ctx.launch.simulate and not ctx.launch.base_url,
    }


async def upload(request: Request, data: Data) -> Response:
    """Keep the uploaded file and read it; on to the columns, or straight to the review."""
    ctx = context(request)
    ws = ctx.workspace
    file = data.get("file")
    if not isinstance(file, UploadFile) or not (file.filename or "").strip():
        return await upload_error(request, 400, _("Choose a spreadsheet first."))
    with ws.lock:
        ws.uploads += 1
        number = ws.uploads
    try:
        stored = await store(file, ctx.launch.workdir / "uploads", number)
        await run_in_threadpool(ws.locked, ws.open, stored)
    except InputError as exc:
        return await upload_error(request, 400, str(exc))
    except OSError as exc:  # the working folder is full or was made read-only
        return await upload_error(request, 507, cannot_write(ctx.launch.workdir, exc))
    try:
        where = where_for_review(ctx.launch, ctx.sandbox_url, str(data.get("server", "")),
                                 str(data.get("token", "")))  # fmt: skip
    except ImporterError as exc:  # a token that cannot be one: said on the review
        where, ws.operation_error = None, str(exc)
    if where is not None:
        await run_in_threadpool(connect_review, ws, ctx.launch, *where)
    return _see(_after_reading(ws))


def _after_reading(ws: Any) -> str:
    """Where a file just read goes: the columns when they need the person; the columns'
    Values section when a field with a fixed set of values holds values the check
    refuses (they are mapped there at once); else the review."""
    with ws.lock:
        if ws.needs_columns():
            return "/columns"
        if ws.refused_values():
            return "/columns?values=1#values-title"
    return "/review"


def connect_review(ws: Any, launch: Any, base_url: str, token: str) -> ImporterError | None:
    """Read the operation's lists for the review (the token is used for this only) and
    check the rows against them; a list that cannot be read is said on the review (and
    returned)."""
    try:
        operation = read_for_review(launch, base_url, token)
    except ImporterError as exc:
        with ws.lock:
            ws.operation_error = str(exc)
            ws.connect(None)
        return exc
    with ws.lock:
        ws.operation_error = ""
        ws.connect(operation)
    return None


async def sheet(request: Request, data: Data) -> Response:
    """Read another sheet of the workbook."""
    ws = context(request).workspace
    name = str(data.get("sheet", ""))
    if ws.upload is None:
        return _see("/")
    try:
        await run_in_threadpool(ws.locked, ws.choose_sheet, name)
    except InputError as exc:
        return await upload_error(request, 400, str(exc))
    return _see(_after_reading(ws))


async def columns_page(request: Request) -> Response:
    """Step 2: each header cell and the field it feeds."""
    ws = context(request).workspace
    if ws.upload is None:
        return _see("/")
    with ws.lock:
        return render(
            request, "columns.html", reading=ws.reading(), columns=ws.columns(), error=ws.error,
            fields=FIELDS, distinct=ws.distinct_values(), allowed=FIXED_VALUES,
            mapped=request.query_params.get("mapped", ""), refused=ws.refused_values(),
            kept_for_later=ws.table is None,
        )  # fmt: skip


async def columns(request: Request, data: Data) -> Response:
    """Take the person's column choices (remembered for this header) and read again."""
    ws = context(request).workspace
    if ws.upload is None:
        return _see("/")
    with ws.lock:
        mapping: dict[str, str | None] = {}
        for column in ws.columns():
            if f"map-{column.position}" not in data:
                continue  # not offered or not sent: the column stays as it is read now
            chosen = str(data[f"map-{column.position}"])
            field = chosen if chosen in FIELDS else None
            automatic = column.field if column.how in {"exact", "alias"} else "?"
            if field != automatic:
                mapping[column.text] = field
        # earlier choices for columns not in this form stay
        mapping = {**{k: v for k, v in ws.mapping.items() if k not in mapping}, **mapping}
    await run_in_threadpool(ws.locked, ws.choose_columns, mapping)
    return _see("/columns" if ws.error else "/review")


async def review_page(request: Request) -> Response:
    """Step 3: a page of rows, every cell editable, problems marked and counted."""
    ws = context(request).workspace
    if ws.table is None:
        return _see("/columns" if ws.upload is not None else "/")
    query = request.query_params
    only = query.get("only") == "1"
    search = query.get("q", "").strip()[:200]
    with ws.lock:
        rows = ws.rows(only_problems=only, search=search)
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        try:
            page = min(max(1, int(query.get("page", "1"))), pages)
        except ValueError:
            page = 1
        page, focus = next_problem(query, rows, ws.by_row, FIELDS, page)
        shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        frame = ws.table.frame
        fields = ws.shown_fields()
        # a retry file: its rows by the first sheet's numbers, and why they came back
        last = frame["last_message"] if "last_message" in frame.columns else None
        extras = _extra_columns(ws, shown)
        return render(
            request,
            "review.html",
            reading=ws.reading(),
            recalled=ws.recalled if ws.undo else 0,
            summary=summary(ws),
            fields=fields,
            headers=own_headers(ws.table.layout),
            rows=[(r, [str(frame.at[r, f]) for f in fields]) for r in shown],
            extras=extras,
            problems=ws.cell_problems,
            invalid=set(ws.by_row),
            excluded=ws.excluded,
            row_level=_row_level(ws, fields, shown),
            notes=ws.cell_notes,
            edited=ws.edits,
            originals=original_rows(frame),
            corrected_kind=ws.upload.path.suffix[1:] if ws.upload else "",
            last_messages={r: str(last.at[r]) for r in shown} if last is not None else None,
            only=only,
            search=search,
            matches=len(rows),
            page=page,
            pages=pages,
            focus=focus,
            pager_url=pager_url("/review", {"only": "1" if only else "", "q": search}),
            version=ws.version,
            undo_label=_undo_label(ws),
            fixed=FIXED_VALUES,
            has_records=ws.records.table is not None,
            refused=ws.refused_values(),
            **_operation_values(ws),
        )


def _operation_values(ws: Any) -> dict[str, Any]:
    """What the review says of the operation's lists: read from where, how many skills
    and campaigns, the rows wolkvox has already (``exists`` in a run), or why not read."""
    op = ws.operation
    return {
        "operation": op,
        "operation_error": ws.operation_error,
        "op_skills": len(op.skills or {}) if op is not None else 0,
        "op_campaigns": sum(len(ids) for ids in op.existing.values()) if op is not None else 0,
        "existing": ws.existing_rows(),
    }


def next_problem(
    query: Mapping[str, str], rows: list[int], by_row: Mapping[int, list[Any]],
    fields: Sequence[str], page: int,
) -> tuple[int, str]:  # fmt: skip
    """Alt+N past the last problem of a page (``?next=ROW``): the page of the next row
    with a problem after that one (from the top again past the last), and the id of its
    first problem cell to focus; ``page`` and no focus without ``next`` or a problem."""
    if "next" not in query:
        return page, ""
    try:
        after = int(query["next"])
    except ValueError:
        after = 0
    found = next((r for r in rows if r > after and r in by_row), None)
    if found is None:  # from the top again
        found = next((r for r in rows if r in by_row), None)
    if found is None:
        return page, ""
    column = next((p.column for p in by_row[found] if p.column in fields), fields[0])
    return rows.index(found) // PAGE_SIZE + 1, f"c-{found}-{column}"


def pager_url(path: str, filters: dict[str, str]) -> str:
    """``path`` with its list's filters, ready for ``page=N`` to be added."""
    kept = urlencode({k: v for k, v in filters.items() if v})
    return f"{path}?{kept}&" if kept else f"{path}?"


def own_headers(layout: Layout, fields: Collection[str] = FIELDS) -> dict[str, str]:
    """field -> the person's own header text over it, where it is not the field's name."""
    return {
        c.field: c.header
        for c in layout.columns
        if c.field is not None and c.field in fields and c.header and c.header != c.field
    }


def _extra_columns(ws: Any, rows: list[int]) -> list[tuple[str, dict[int, str]]]:
    """The person's columns the importer does not read (a notes column): header ->
    row -> cell, for the shown rows (read-only on the page)."""
    layout = ws.table.layout
    out = []
    for c in layout.columns:
        if c.field is None and c.key in layout.extra.columns:
            cells = layout.extra[c.key]
            out.append((c.header, {r: str(cells.get(r, "")) for r in rows}))
    return out


def _undo_label(ws: Any) -> str:
    """What Undo would take back, in words ("" when nothing)."""
    return undo_label(ws, {
        "cell": _("Undo the last cell change"),
        "column": _("Undo the last change of a whole column"),
        "values": _("Undo the last values mapped"),
        "exclude": _("Undo the last row left out or taken back"),
    })  # fmt: skip


def undo_label(grid: Any, kinds: dict[str, str]) -> str:
    """What Undo would take back in ``grid``, in the words ``kinds`` gives each kind of
    step ("" when nothing)."""
    if not grid.undo:
        return ""
    return kinds.get(grid.undo[-1].kind, _("Undo"))


def _row_level(ws: Any, fields: list[str], rows: list[int]) -> dict[int, list[str]]:
    """Problems of the shown rows that belong to no shown cell (e.g. a CSV line too long)."""
    out: dict[int, list[str]] = {}
    for (row, column), found in ws.cell_problems.items():
        if column not in fields and row in rows:
            out.setdefault(row, []).extend(p.message for p in found)
    return out


def summary(ws: Any) -> dict[str, Any]:
    """The counts the review shows above the table (and sends back after each edit)."""
    cells = ws.problem_cells()
    left_out = len(ws.excluded)
    return {
        "cells": cells,
        "rows_invalid": sum(1 for r in ws.by_row if r not in ws.excluded),
        "rows_valid": ws.sendable(),
        "rows_excluded": left_out,
        "rows": len(ws.table.frame),
        "by_rule": ws.counts_by_rule(),
    }


async def cell(request: Request, data: Data) -> Response:
    """Change one cell; answer with its cleaned value and the shown cells whose state changed."""
    ctx = context(request)
    ws = ctx.workspace
    if ws.table is None:
        return JSONResponse({"error": _("Upload a spreadsheet first.")}, status_code=409)
    try:
        row, column = int(data.get("row", 0)), str(data.get("column", ""))
        value = str(data.get("value", ""))
        visible = _visible(data)
    except (TypeError, ValueError):
        return JSONResponse({"error": _("The change could not be read.")}, status_code=400)
    try:
        cleaned, cells, invalid = await run_in_threadpool(
            ws.locked, ws.edit_shown, row, column, value, visible
        )
    except InputError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    mine = cells[f"{row}:{column}"]["problems"]
    return JSONResponse(
        {"value": cleaned, "cells": cells, "invalid": invalid, "problems": mine,
         **_after_change(ctx)}
    )  # fmt: skip


def _visible(data: Data) -> list[int]:
    """The rows the page shows (it is told their state after a change)."""
    return [int(r) for r in data.get("rows", [])][:1000]


def _after_change(ctx: Any) -> dict[str, Any]:
    """What every answer to a change carries: the counts, the version, what Undo does."""
    ws = ctx.workspace
    with ws.lock:
        summary_html = ctx.templates.get_template("_summary.html").render(
            summary=summary(ws), lang=i18n.current()
        )
        return {"summary": summary_html, "version": ws.version, "undo": _undo_label(ws)}


async def _change(request: Request, data: Data, act: Any, said: Any) -> Response:
    """Run a change of several cells or rows of the campaigns (see :func:`grid_change`)."""
    ws = context(request).workspace
    return await grid_change(request, data, act, said, grid=ws, after=_after_change)


async def grid_change(
    request: Request, data: Data, act: Any, said: Any, *, grid: Any, after: Any,
    home: str = "/review", missing: str = "",
) -> Response:  # fmt: skip
    """Run a change of several cells or rows of ``grid`` (the campaigns, or the records):
    JSON for the page's script (the shown cells whose value or state changed, and what
    ``after`` adds), or back to ``home`` for a plain form."""
    ctx = context(request)
    ws = ctx.workspace
    wants_json = request.headers.get("content-type", "").startswith("application/json")
    if grid.table is None:
        if wants_json:
            error = missing or _("Upload a spreadsheet first.")
            return JSONResponse({"error": error}, status_code=409)
        return _see("/")
    try:
        visible = _visible(data)
        done, cells, rows = await run_in_threadpool(ws.locked, grid.answer, visible, act)
    except (TypeError, ValueError):
        return JSONResponse({"error": _("The change could not be read.")}, status_code=400)
    except InputError as exc:
        if not wants_json:
            return error_page_for(request, str(exc))
        return JSONResponse({"error": str(exc)}, status_code=400)
    if not wants_json:
        back = data.get("back")
        return _see(str(back) if _safe(back, home) else home)
    return JSONResponse({"cells": cells, "rows": rows, "said": said(done), **after(ctx)})


def _safe(target: Any, home: str = "/review") -> bool:
    return isinstance(target, str) and target.startswith(home) and "//" not in target


def error_page_for(request: Request, message: str) -> Response:
    from importer.web.app import error_page

    return error_page(request, 400, message)


async def column_set(request: Request, data: Data) -> Response:
    """Set, or find and replace, one column: every row, or only its cells with a problem."""
    act, said = column_change(context(request).workspace, data)
    return await _change(request, data, act, said)


def column_change(grid: Any, data: Data) -> tuple[Any, Any]:
    """The change the whole-column form asks of ``grid`` (campaigns or records), and
    what the page says of it."""
    column = str(data.get("column", ""))
    value = str(data.get("value", ""))
    find = str(data["find"]) if data.get("action") == "replace" else None
    only = str(data.get("scope", "")) == "problems"

    def said(n: int) -> str:
        return ngettext("{n} cell changed", "{n} cells changed", n).format(n=n)

    return lambda: grid.set_column(column, value, find=find, only_problems=only), said


async def values(request: Request, data: Data) -> Response:
    """The columns step's value mapping: each value found becomes the value chosen."""
    ws = context(request).workspace
    if ws.upload is None:
        return _see("/")
    column = str(data.get("column", ""))
    chosen = {}
    for key, found in data.items():
        if key.startswith("from-"):
            to = str(data.get("to-" + key[5:], ""))
            if to:
                chosen[str(found)] = to
    try:
        if ws.table is None:  # another column is unresolved: kept until the table reads
            await run_in_threadpool(ws.locked, ws.remember_values, column, chosen)
            return _see(f"/columns?values=1#values-{column}")
        n = await run_in_threadpool(ws.locked, ws.map_values, column, chosen)
    except InputError as exc:
        return error_page_for(request, str(exc))
    if request.headers.get("content-type", "").startswith("application/json"):
        said = ngettext("{n} cell changed", "{n} cells changed", n).format(n=n)
        return JSONResponse({"changed": n, "said": said, **_after_change(context(request))})
    return _see(f"/columns?mapped={n}#values-{column}")


async def exclude(request: Request, data: Data) -> Response:
    """Leave a row out of the run, or take it back in."""
    ws = context(request).workspace
    left = _("Row {row} is left out: it will not be sent.")
    back_in = _("Row {row} is taken back in.")
    try:
        act, said = exclude_change(ws, data, left, back_in)
    except (TypeError, ValueError):
        return JSONResponse({"error": _("The change could not be read.")}, status_code=400)
    return await _change(request, data, act, said)


def exclude_change(grid: Any, data: Data, left: str, back_in: str) -> tuple[Any, Any]:
    """The row ``grid`` is asked to leave out (or take back in), and what the page says
    of it (``left``, ``back_in``: words with ``{row}``); raise ValueError for no row."""
    row = int(data.get("row", 0))
    out = data.get("out", True) not in (False, "0", "false", "")

    def said(_done: Any) -> str:
        return (left if out else back_in).format(row=row)

    return lambda: grid.exclude(row, out=out), said


async def undo(request: Request, data: Data) -> Response:
    """Take back the last change."""
    return await _change(request, data, context(request).workspace.undo_last, undo_said)


def undo_said(done: Any) -> str:
    """What the page says after Undo."""
    return _("Undone.") if done and done[0] else _("Nothing to undo.")


async def language(request: Request, data: Data) -> Response:
    """Switch the page's language (and say the problems again in it)."""
    lang = str(data.get("lang", ""))
    if lang not in i18n.LANGUAGES:
        lang = i18n.DEFAULT
    target = str(data.get("next", "/"))
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    ws = context(request).workspace
    if ws.upload is not None:
        # it was readable a moment ago; the page will say what it can
        with i18n.using(lang), contextlib.suppress(InputError):
            await run_in_threadpool(ws.locked, ws.rebuild)
    response = _see(target)
    response.set_cookie(LANG_COOKIE, lang, samesite="strict", httponly=True, path="/")
    return response
