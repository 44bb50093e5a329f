"""The ASGI application assembled: the routes of every step, error handlers, middleware."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from importer import i18n
from importer.i18n import _
from importer.web.app import FORM_PAGES, Context, context, error_page
from importer.web.security import (
    SECURITY_HEADERS,
    Guard,
    language,
)
from importer.web.wording import page_words

HERE = Path(__file__).parent


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405 and request.method in {"GET", "HEAD"} and request.url.path:
        here = request.url.path[len(context(request).secrets.root) :]
        if here in FORM_PAGES:
            return RedirectResponse(FORM_PAGES[here], status_code=303)
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"error": _("There is no such page here")}, status_code=status)
    return error_page(request, status)


async def _fault(request: Request, exc: Exception) -> Response:
    """A fault of the importer while answering: its text could hold anything (a cell, a
    path), so only its kind is named."""
    message = _(
        "Internal error ({kind}). Nothing was sent because of it, and any run's journal "
        "stays valid. Go back to the page and try again; if it happens again, please "
        "report it."
    )
    # This runs outside the Guard (Starlette answers faults last): its language and its
    # headers are set here again.
    ctx = context(request)
    with i18n.using(language(request.headers, ctx.launch.language)):
        response = error_page(request, 500, message.format(kind=type(exc).__name__))
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("cache-control", "no-store")
    return response


class PageWords:
    """ASGI middleware: the page's own advice in the engine's messages (see wording)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with page_words():
            await self.app(scope, receive, send)


def create_app(ctx: Context) -> Starlette:
    """The application for one start of the page, behind its :class:`Guard`."""
    from importer.web import history_page, pages, record_pages, sending

    routes: list[BaseRoute] = [
        *pages.routes(),
        *record_pages.routes(),
        *sending.routes(),
        *history_page.routes(),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _fault},
    )
    # Its redirects would be absolute addresses built from the request; the page's own are
    # paths the Guard keeps on the page.
    app.router.redirect_slashes = False
    app.state.ctx = ctx
    app.add_middleware(PageWords)
    app.add_middleware(Guard, secrets_=ctx.secrets, default_language=ctx.launch.language)
    return app
