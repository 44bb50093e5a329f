"""The page's application as the in-process tests speak to it: at its root, the key implied.

Every address of the page starts with its key (``/KEY/review``, see
:mod:`importer.web.security`). Tests of what the page does, not of who may use it, name the
addresses without it: :func:`at_root` puts the key in front of each request's path and takes it
off the redirects, exactly as a browser that opened the printed address would see them.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def at_root(app: ASGIApp, root: str) -> ASGIApp:
    """``app`` (behind its Guard) with ``root`` (``/KEY``) added to every request's path."""

    async def keyed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path = root + scope["path"]
        scope = {**scope, "path": path, "raw_path": path.encode("utf-8")}

        async def unkeyed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                location = headers.get("location", "")
                if location.startswith(root + "/"):
                    headers["location"] = location[len(root) :]
            await send(message)

        await app(scope, receive, unkeyed)

    return keyed
