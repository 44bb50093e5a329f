"""What every page is made with: the page's context, templates in the person's language,
error pages and the guarded POST route (used by pages, sending, history_page and routes)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Route

from importer import i18n
from importer.errors import InputError
from importer.i18n import _
from importer.web.config import Launch
from importer.web.runs import Runs
from importer.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    Forbidden,
    Secrets,
    check_csrf,
    keyed_html,
)
from importer.web.uploads import TooLarge, read_form
from importer.web.workspace import Workspace

HERE = Path(__file__).parent
Data = dict[str, Any]
Handler = Callable[[Request, Data], Awaitable[Response]]
ErrorPage = Callable[[Request, int, str], Awaitable[Response]]


@dataclass
class Context:
    """Everything the routes share: one per start of the page."""

    launch: Launch
    secrets: Secrets
    workspace: Workspace
    runs: Runs
    templates: jinja2.Environment
    #: the simulated server's address, with --simulate
    sandbox_url: str | None = None


def make_context(
    launch: Launch,
    *,
    port: int,
    extra_hosts: tuple[str, ...] = (),
    any_host: bool = False,
    sandbox_url: str | None = None,
    remembered: Path | None = None,
) -> Context:
    """The shared state of one start of the page (see :mod:`importer.web.server`)."""
    from importer.web.mappings import Remembered, default_path
    from importer.web.security import local_hosts

    secrets_ = Secrets(port=port, hosts=local_hosts(port, extra_hosts), any_host=any_host)
    memory = Remembered(remembered or default_path(None))
    return Context(
        launch=launch,
        secrets=secrets_,
        workspace=Workspace(launch.workdir, memory, launch.options),
        runs=Runs(launch.workdir),
        templates=templates(),
        sandbox_url=sandbox_url,
    )


def templates() -> jinja2.Environment:
    """Jinja2 with the gettext catalogues: ``_()`` follows the request's language."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n._, i18n.ngettext, newstyle=True
    )
    env.filters["number"] = number
    env.filters["decimal"] = decimal
    return env


def decimal(x: float) -> str:
    """``0.05`` in English, ``0,05`` in Spanish (the page's language)."""
    from babel.numbers import format_decimal

    return str(format_decimal(x, format="#,##0.###", locale=i18n.current()))


def number(n: int) -> str:
    """``1,000`` in English, ``1.000`` in Spanish."""
    shown = f"{n:,}"
    return shown.replace(",", ".") if i18n.current() == "es" else shown


def context(request: Request) -> Context:
    """The shared state of the page that ``request`` came to."""
    ctx: Context = request.app.state.ctx
    return ctx


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A page in the request's language, with what every page needs.

    Templates name the page's addresses from its root (``href="/review"``); every one of
    them is put under the key here, in one place, so no link can forget it
    (see :mod:`importer.web.security`).
    """
    ctx = context(request)
    page = ctx.templates.get_template(template)
    root = ctx.secrets.root
    here = request.url.path[len(root) :] or "/"  # redirects are put under the key again
    html = page.render(
        lang=i18n.current(),
        csrf=ctx.secrets.csrf,
        root=root,
        path=here + (f"?{request.url.query}" if request.url.query else ""),
        simulate=ctx.launch.simulate,
        steps=steps(ctx, template),
        **values,
    )
    return HTMLResponse(keyed_html(html, root), status_code=status)


def steps(ctx: Context, template: str) -> list[dict[str, Any]]:
    """The five steps for the navigation: which is current, which can be opened."""
    from importer.i18n import _

    ws, runs = ctx.workspace, ctx.runs
    has_file = ws.upload is not None
    has_table = ws.table is not None
    has_run = runs.current is not None
    names = [
        ("upload.html", _("Upload"), "/", True),
        ("columns.html", _("Columns"), "/columns", has_file),
        ("review.html", _("Review"), "/review", has_table),
        ("send.html", _("Send"), "/send", has_table or has_run),
        ("results.html", _("Results"), "/results", has_run and not runs.active),
    ]
    return [
        {"number": i, "label": label, "url": url if ok else "", "current": tpl == template}
        for i, (tpl, label, url, ok) in enumerate(names, start=1)
    ]


async def plain_error(request: Request, status: int, message: str) -> Response:
    """A refusal as JSON for the page's scripts, as a page of the page otherwise."""
    if request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"error": message}, status_code=status)
    return error_page(request, status, message)


#: The form addresses of the page (POST only) and the page each belongs to: opened in the
#: address bar (after a refused upload the bar shows ``/upload``), they lead there.
FORM_PAGES = {
    "/upload": "/", "/sheet": "/columns", "/columns": "/columns", "/cell": "/review",
    "/lang": "/", "/send": "/send", "/stop": "/send", "/resume": "/", "/close": "/",
    "/records/upload": "/records", "/records/cell": "/records",
}  # fmt: skip


def error_page(request: Request, status: int, message: str = "") -> Response:
    """An error as a page of the page: in the person's language, in its layout, with a way
    on. If even that cannot be made, the message as text."""
    titles = {
        403: _("This request was refused"),
        404: _("There is no such page here"),
        405: _("This address takes a form of the page"),
        413: _("The file is too large"),
        500: _("Something went wrong on the page"),
    }
    defaults = {
        404: _("The address may be mistyped, or from an earlier start of the page."),
        405: _("It is used by the page's own buttons, not opened directly."),
        500: _("Nothing was sent because of it, and any run's journal stays valid. Go back "
               "to the page and try again; if it happens again, please report it."),
    }  # fmt: skip
    title = titles.get(status, _("This did not work"))
    text = message or defaults.get(status, "")
    try:
        return render(request, "error.html", status=status, title=title, message=text,
                      back="/", back_label=_("Back to the page"))  # fmt: skip
    except Exception:  # the page itself is what failed: plain words still get out
        return PlainTextResponse(f"{title}. {text}", status_code=status)


def post(path: str, handler: Handler, on_error: ErrorPage = plain_error) -> Route:
    """A state-changing route: its body is read (size-limited) and its CSRF token checked.

    Every POST route is made here, so none can forget the check.
    """

    async def endpoint(request: Request) -> Response:
        ctx = context(request)
        try:
            data = await _body(request, ctx.launch.max_upload)
            check_csrf(ctx.secrets, request.headers.get(CSRF_HEADER), data.get(CSRF_FIELD))
        except Forbidden as exc:
            return await plain_error(request, 403, str(exc))
        except TooLarge as exc:
            return await on_error(request, 413, str(exc))
        except InputError as exc:
            return await on_error(request, 400, str(exc))
        return await handler(request, data)

    return Route(path, endpoint, methods=["POST"])


async def _body(request: Request, max_upload: int) -> Data:
    if request.headers.get("content-type", "").startswith("application/json"):
        raw = await request.body()
        if len(raw) > 1_000_000:
            raise InputError(_("The request is too large."))
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise InputError(_("The request could not be read; reload the page.")) from None
        return data if isinstance(data, dict) else {}
    return dict(await read_form(request, max_upload))
