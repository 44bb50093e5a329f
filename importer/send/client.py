"""The HTTP layer: one wolkvox call in, one classified :class:`Answer` out.

It speaks the contract (``docs/wolkvox-api.md``) over one keep-alive session; what
each answer means (created, failed, unknown, retry, stop) is :mod:`importer.send.answers`'
table. It never retries and never decides what to do with a row; that is
:mod:`importer.send.sender`'s job. The token goes into one header and nowhere else.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import urlsplit

import requests

from importer.errors import ApiStopped, UsageError
from importer.i18n import N_, _
from importer.send.answers import (
    ADD_RECORD,
    START,
    Answer,
    Kind,
    classify,
    classify_call,
    classify_exception,
    classify_read_exception,
    read_json,
    reworded,
    server_message,
    with_status,
)
from importer.send.policy import CONNECT_TIMEOUT, DEFAULT_TIMEOUT, is_loopback

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "Answer",
    "Kind",
    "ListRefused",
    "WolkvoxClient",
    "base_url_for",
    "check_base_url",
    "check_token",
    "classify",
    "classify_exception",
    "proxy_address",
]

# The waits are defined once, in importer.send.policy; DEFAULT_TIMEOUT stays importable here.


# -- Checking what the operator gave ---------------------------------------------------


def base_url_for(server: str) -> str:
    """``https://wv0032.wolkvox.com`` from a server nomenclature such as ``32`` or ``0032``."""
    server = server.strip()
    if not re.fullmatch(r"[0-9A-Za-z]{1,8}", server):
        raise UsageError(
            _(
                "--server {server} is not a server nomenclature; it looks like 0032 "
                "(the digits after 'wv' in your wolkvox address)."
            ).format(server=repr(server))
        )
    if server.isdigit():
        server = server.zfill(4)  # every public example is four digits, zero-padded
    return f"https://wv{server}.wolkvox.com"


def check_base_url(url: str) -> str:
    """Validate a base URL; refuse plain http anywhere but loopback (the token would leak)."""
    invalid = UsageError(
        _(
            "--base-url {url} is not a valid address; write it as https://host/ or "
            "https://host:port/ (a port is a number from 1 to 65535)."
        ).format(url=repr(url))
    )
    if re.search(r"[\x00-\x20\x7f-\x9f]", url):
        raise invalid  # spaces and control characters: never part of an address
    try:
        parts = urlsplit(url.rstrip("/"))
        port = parts.port  # raises on a port out of range or not a number
    except ValueError:  # an unclosed "[" of an IPv6 address, among others
        raise invalid from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UsageError(_("--base-url {url} is not an http(s) address.").format(url=repr(url)))
    if port == 0:
        raise invalid
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            _(
                "refusing to send the token over plain http to {host}; use an https:// address "
                "(plain http is only allowed to this machine)."
            ).format(host=parts.hostname)
        )
    return url.rstrip("/")


def check_token(token: str) -> str:
    """Refuse a token with spaces or control characters (a copy-paste accident).

    requests would refuse it too, but with the whole header, token included, in its
    error text.
    """
    if not re.fullmatch(r"[\x21-\x7e]+", token):
        raise UsageError(
            _(
                "the token holds spaces or characters a token cannot have; copy it again from "
                "wolkvox manager."
            )
        )
    return token


class ListRefused(ApiStopped):
    """The campaign list was refused the way every call would be (a refused token, the
    day's quota, a wrong address, an unreachable server): ``answer`` says which."""

    def __init__(self, message: str, answer: Answer) -> None:
        super().__init__(message, why=answer.message)
        self.answer = answer


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

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(
            method,
            f"{self.base_url}/api/v2/{path}",
            headers={"wolkvox-token": self._token, "Content-Type": "application/json"},
            timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout),
            allow_redirects=False,
            **kwargs,
        )

    @property
    def proxy(self) -> str:
        """The proxy requests go through, as ``scheme://host:port``; ``""`` for none."""
        return proxy_address(f"{self.base_url}/", self.session)

    def create_campaign(self, type_campaign: str, body_json: str) -> Answer:
        """POST one ``create_campaign`` call and classify the answer."""
        params = {"api": "create_campaign", "type_campaign": type_campaign}
        try:
            response = self._call(
                "POST", "campaign.php", params=params, data=body_json.encode("utf-8")
            )
        except requests.RequestException as exc:
            return classify_exception(exc, self.timeout, proxy=self.proxy)
        # Only a proxy answers 407; the proxy is looked up for that answer alone.
        proxy = self.proxy if response.status_code == 407 else ""
        return classify(response.status_code, _text(response), proxy=proxy, sent=_fields(body_json))

    def add_record(
        self, type_campaign: str, campaign_id: str, body_json: str, *, campaign_status: str = ""
    ) -> Answer:
        """POST one ``add_record`` call (a batch: a JSON array of records) and classify the
        answer. ``campaign_status`` (``start``/``stop``) is sent to predictive campaigns only."""
        params = {"api": "add_record", "type_campaign": type_campaign, "campaign_id": campaign_id}
        if type_campaign == "predictive" and campaign_status:
            params["campaign_status"] = campaign_status
        return self._launch_call(ADD_RECORD, "POST", params, body_json.encode("utf-8"))

    def start(self, type_campaign: str, campaign_id: str) -> Answer:
        """PUT one ``start`` call: the campaign starts dialling."""
        params = {"api": "start", "campaign_id": campaign_id, "type_campaign": type_campaign}
        return self._launch_call(START, "PUT", params, None)

    def _launch_call(
        self, call: str, method: str, params: dict[str, str], data: bytes | None
    ) -> Answer:
        try:
            response = self._call(method, "campaign.php", params=params, data=data)
        except requests.RequestException as exc:
            return reworded(call, classify_exception(exc, self.timeout, proxy=self.proxy))
        proxy = self.proxy if response.status_code == 407 else ""
        return classify_call(call, response.status_code, _text(response), proxy=proxy)

    def list_campaigns(self) -> list[dict[str, Any]]:
        """Read the operation's campaigns (``information.php?api=campaigns``).

        Raises :class:`ApiStopped` when the list cannot be read, :class:`ListRefused`
        when it was refused the way any call would be.
        """
        return self.information("campaigns", N_("the campaign list could not be read: {why}"))

    # -- Calls beyond creating (undo, the live skills check, the quota check) --------------

    def information(self, api: str, cannot: str) -> list[dict[str, Any]]:
        """Read one information list (``information.php?api=skills``, ``token_info``).

        ``cannot`` is the ``N_`` template of the message when it cannot be read (with
        ``{why}``); refusals are raised as for :meth:`list_campaigns`.
        """
        try:
            response = self._call("GET", "information.php", params={"api": api})
        except requests.RequestException as exc:
            answer = classify_read_exception(exc, self.timeout, proxy=self.proxy)
            if answer.kind is Kind.STOP:
                raise ListRefused(_(cannot).format(why=answer.message), answer) from None
            raise ApiStopped(_(cannot).format(why=answer.message), why=answer.message) from None
        text = _text(response)
        payload = read_json(text, lists=True)
        if response.status_code != 200:
            proxy = self.proxy if response.status_code == 407 else ""
            answer = classify(response.status_code, text, proxy=proxy)
            if answer.kind in (Kind.STOP, Kind.RETRY):
                raise ListRefused(_(cannot).format(why=answer.message), answer)
            why = with_status(response.status_code, server_message(payload, text))
            raise ApiStopped(_(cannot).format(why=why), why=why)
        data = payload.get("data") if isinstance(payload, dict) else payload
        if isinstance(data, dict) and api != "campaigns":  # token_info may answer one object
            data = [data]
        if not isinstance(data, list):
            held = _("the answer held no list.")
            raise ApiStopped(_(cannot).format(why=held), why=held)
        return [c for c in data if isinstance(c, dict)]

    def list_skills(self) -> dict[str, str]:
        """The operation's skills, id -> name (``information.php?api=skills``)."""
        listed = self.information("skills", N_("the skills list could not be read: {why}"))
        skills: dict[str, str] = {}
        for item in listed:
            ident = str(item.get("skill_id") or item.get("id_skill") or item.get("id") or "")
            if ident.strip():
                skills[ident.strip()] = str(item.get("skill_name") or item.get("name") or "")
        return skills

    def token_info(self) -> dict[str, Any]:
        """The token's limit and use today (``token_info``); reading it uses one call."""
        listed = self.information("token_info", N_("the token's use could not be read: {why}"))
        return listed[0] if listed else {}

    def delete_campaign(self, campaign_id: str) -> tuple[int, str] | BaseException:
        """DELETE one campaign by id (``delete_campaign&campaign_id=ID``).

        Returns the HTTP status and body text, or the transport error as it came: what
        they mean for the campaign is :mod:`importer.send.undo`'s to say.
        """
        params = {"api": "delete_campaign", "campaign_id": campaign_id}
        try:
            response = self._call("DELETE", "campaign.php", params=params)
        except requests.RequestException as exc:
            return exc
        return response.status_code, _text(response)


def _fields(body_json: str) -> dict[str, Any]:
    """The request body's fields, for the sentences that name one (the skill)."""
    try:
        fields = json.loads(body_json)
    except ValueError:
        return {}
    return fields if isinstance(fields, dict) else {}


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


def _text(response: requests.Response) -> str:
    """The body as text: UTF-8 unless the server names another charset.

    requests would read an HTML answer without a charset (a PHP notice page) as
    Latin-1 and turn the byte-order mark and every accent into mojibake.
    """
    if "charset=" in response.headers.get("Content-Type", "").lower():
        return response.text
    return response.content.decode("utf-8", errors="replace")


def proxy_address(url: str, session: requests.Session) -> str:
    """The proxy ``session`` uses for ``url``, as ``scheme://host:port`` (never credentials)."""
    proxies = dict(session.proxies)
    if session.trust_env:
        proxies = {**requests.utils.get_environ_proxies(url), **proxies}
    chosen = requests.utils.select_proxy(url, proxies)
    if not chosen:
        return ""
    parts = urlsplit(chosen if "://" in chosen else f"http://{chosen}")
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"
