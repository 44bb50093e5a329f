"""The HTTP layer: one wolkvox call in, one classified :class:`Answer` out.

This module knows the contract (``shared/wolkvox-api.md``): which answers mean the
campaign exists, which mean it does not, which stop the run and which leave the
outcome unknown. It never retries and never decides what to do with a row; that is
:mod:`importer.send`'s job. The token goes into one header and nowhere else.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import requests

from importer.errors import ApiStopped, UsageError

#: The server may take up to 60 s per call; waiting less would invent failures.
DEFAULT_TIMEOUT = 75.0
CONNECT_TIMEOUT = 15.0

Kind = Literal["created", "failed", "unknown", "retry", "stop"]


@dataclass(frozen=True)
class Answer:
    """What one request came to.

    ``created``: the campaign exists. ``failed``: it was not created; the row is at
    fault. ``unknown``: it may or may not exist. ``retry``: not created, send the same
    row again later. ``stop``: not created, and no further request can succeed.
    """

    kind: Kind
    message: str
    id_campaign: str = ""
    #: for retry/stop: busy, maintenance, quota, token, api, unreachable
    reason: str = ""


def base_url_for(server: str) -> str:
    """``https://wv0032.wolkvox.com`` from a server nomenclature such as ``32`` or ``0032``."""
    server = server.strip()
    if not re.fullmatch(r"[0-9A-Za-z]{1,8}", server):
        raise UsageError(
            f"--server {server!r} is not a server nomenclature; it looks like 0032 "
            f"(the digits after 'wv' in your wolkvox address)."
        )
    if server.isdigit():
        server = server.zfill(4)  # every public example is four digits, zero-padded
    return f"https://wv{server}.wolkvox.com"


def check_base_url(url: str) -> str:
    """Validate a base URL; refuse plain http anywhere but loopback (the token would leak)."""
    parts = urlsplit(url.rstrip("/"))
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UsageError(f"--base-url {url!r} is not an http(s) address.")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UsageError(
            f"refusing to send the token over plain http to {parts.hostname}; "
            f"use an https:// address (plain http is only allowed to this machine)."
        )
    return url.rstrip("/")


def check_token(token: str) -> str:
    """Refuse a token with spaces or control characters (a copy-paste accident).

    requests would refuse it too, but with the whole header, token included, in its
    error text.
    """
    if not re.fullmatch(r"[\x21-\x7e]+", token):
        raise UsageError(
            "the token holds spaces or characters a token cannot have; copy it again from "
            "wolkvox manager."
        )
    return token


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WolkvoxClient:
    """Talks to one wolkvox server with one token over one keep-alive session."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self._token = check_token(token)
        self.session = session or _session_for(self.base_url)
        self.timeout = timeout

    def __repr__(self) -> str:  # never show the token
        return f"WolkvoxClient({self.base_url!r})"

    @property
    def _headers(self) -> dict[str, str]:
        return {"wolkvox-token": self._token, "Content-Type": "application/json"}

    def create_campaign(self, type_campaign: str, body_json: str) -> Answer:
        """POST one ``create_campaign`` call and classify the answer."""
        url = f"{self.base_url}/api/v2/campaign.php"
        params = {"api": "create_campaign", "type_campaign": type_campaign}
        try:
            response = self.session.post(
                url,
                params=params,
                data=body_json.encode("utf-8"),
                headers=self._headers,
                timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return classify_exception(exc, self.timeout)
        return classify(response.status_code, response.text)

    def list_campaigns(self) -> list[dict[str, Any]]:
        """Read the operation's campaigns (``information.php?api=campaigns``).

        Raises :class:`ApiStopped` when the list cannot be read.
        """
        url = f"{self.base_url}/api/v2/information.php"
        try:
            response = self.session.get(
                url,
                params={"api": "campaigns"},
                headers=self._headers,
                timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            why = classify_exception(exc, self.timeout).message
            raise ApiStopped(f"the campaign list could not be read: {why}") from None
        payload = _json(response.text)
        if response.status_code != 200:
            raise ApiStopped(
                f"the campaign list could not be read: HTTP {response.status_code} "
                f"{_server_message(payload, response.text)}".rstrip()
            )
        data = payload.get("data") if isinstance(payload, dict) else payload
        if not isinstance(data, list):
            raise ApiStopped("the campaign list could not be read: the answer held no list.")
        return [c for c in data if isinstance(c, dict)]


def _session_for(base_url: str) -> requests.Session:
    """A keep-alive session with the environment's proxy and CA settings read once.

    requests otherwise re-reads the whole environment (and looks for ~/.netrc) before
    every request, which costs more than the rest of the importer's work per row.
    """
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
    return session


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _server_message(payload: Any, text: str) -> str:
    if isinstance(payload, dict):
        for key in ("msg", "error", "message"):
            if payload.get(key):
                return str(payload[key])
        return ""
    # An HTML error page or other text: keep it short and on one line.
    title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
    shown = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
    return " ".join(shown.split())[:120]


def _campaign_id(payload: dict[str, Any]) -> str:
    data = payload.get("data")
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict):
            for key in ("id_campaign", "id_campaing"):  # both spellings are documented
                if item.get(key) not in (None, ""):
                    return str(item[key])
    return ""


def classify(status: int, text: str) -> Answer:
    """Classify an HTTP answer to ``create_campaign`` according to the contract."""
    payload = _json(text)
    said = _server_message(payload, text)
    upper = said.upper()
    shown = f"HTTP {status} {said}".strip()
    if status == 201:
        if not isinstance(payload, dict):
            return Answer(
                "created",
                "created (HTTP 201), but the answer was not JSON; "
                "find the campaign id in wolkvox manager",
            )
        code = payload.get("code")
        if code is not None and str(code).strip() != "201":
            return Answer(
                "unknown",
                f"HTTP 201 but the answer's code is {code}: {said}; "
                "check in wolkvox manager whether the campaign exists",
            )
        campaign_id = _campaign_id(payload)
        if not campaign_id:
            return Answer(
                "created",
                "created (HTTP 201), but the answer carried no campaign "
                "id; find it in wolkvox manager",
            )
        return Answer("created", said or "created", campaign_id)
    if 200 <= status < 300:
        return Answer(
            "unknown",
            f"{shown}: not the 201 that confirms creation; check in "
            "wolkvox manager whether the campaign exists",
        )
    if 300 <= status < 400:
        return Answer(
            "stop", f"{shown}: the server redirects; check --server/--base-url", reason="api"
        )
    if status == 400 and "API" in upper and "DOES NOT EXIST" in upper:
        return Answer(
            "stop", f"{shown}: the API address is wrong; check --server/--base-url", reason="api"
        )
    if status == 404:
        return Answer(
            "stop",
            f"{shown}: the API address was not found; check --server/--base-url",
            reason="api",
        )
    if status == 401:
        return Answer(
            "stop",
            f"{shown}: the token was not accepted; set WOLKVOX_TOKEN or --token-file",
            reason="token",
        )
    if status == 403:
        if "TOKEN LIMIT" in upper:
            return Answer(
                "stop",
                f"{shown}: today's quota of API calls is used up; run the retry file another day",
                reason="quota",
            )
        if "SIMULTANEOUS" in upper:
            return Answer("retry", f"{shown}: the token is busy elsewhere", reason="busy")
        if "VALIDATE TOKEN" in upper or "TOKEN" in upper:
            return Answer(
                "stop",
                f"{shown}: the token is not valid; check WOLKVOX_TOKEN or --token-file",
                reason="token",
            )
        return Answer(
            "retry", f"{shown}: the server is unavailable (maintenance?)", reason="maintenance"
        )
    if 400 <= status < 500:
        return Answer("failed", shown)
    return Answer(
        "unknown",
        f"{shown}: the server failed while handling the request; the campaign may or may not exist",
    )


def classify_exception(exc: requests.RequestException, timeout: float) -> Answer:
    """Classify a transport error: was the request possibly received, or surely not?"""
    if isinstance(exc, requests.ConnectTimeout) or _never_connected(exc):
        return Answer(
            "stop",
            "could not connect to the server; check the network and --server/--base-url",
            reason="unreachable",
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return Answer(
            "stop",
            "the secure connection to the server failed; check --server/--base-url",
            reason="unreachable",
        )
    if isinstance(exc, requests.ReadTimeout):
        return Answer(
            "unknown", f"no answer within {timeout:g} s; the campaign may or may not exist"
        )
    return Answer(
        "unknown",
        "the connection broke after the request was sent; the campaign may or may not exist",
    )


def _never_connected(exc: BaseException) -> bool:
    """True when the error proves the request never left (refused, DNS, no route)."""
    import urllib3.exceptions as u3

    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, u3.NewConnectionError | u3.NameResolutionError):
            return True
        if isinstance(item, u3.ProtocolError):
            return False  # the connection existed: the request may have been received
        stack.extend(getattr(item, "args", ()))
        stack.append(getattr(item, "reason", None))
        stack.append(item.__cause__ if isinstance(item, BaseException) else None)
        stack.append(item.__context__ if isinstance(item, BaseException) else None)
    return False
