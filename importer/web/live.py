"""The operation as wolkvox lists it, read for the review: its skills and its campaigns.

Read once as soon as the page knows a server and a token (at the upload, or at Send when
none was given before), two calls and nothing sent. The review then checks the skill ids
against that list, as a run does, and marks the rows whose name wolkvox has already (a
run will not send them: ``exists``). The run is given the same list, pinned in its journal,
so that what the review showed is what the run checks. The token is used for the reading
only and kept nowhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests

from importer.errors import ApiStopped
from importer.i18n import _
from importer.send.client import ListRefused, WolkvoxClient, base_url_for
from importer.send.lock import TokenLock
from importer.send.policy import DEFAULT_TIMEOUT, Policy, check_policy
from importer.send.sender import Clock, Listing, index_by_name, read_list, read_skills
from importer.web.config import Launch


class Unread(ApiStopped):
    """The operation's lists could not be read; ``refused``: wolkvox's refusal, if any."""

    def __init__(self, message: str, refused: ListRefused | None) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True)
class Operation:
    """What wolkvox listed for the review."""

    #: skill id -> name; None when wolkvox listed no skills (the ids are then not checked)
    skills: dict[str, str] | None
    #: name key -> the ids of the campaigns of that name, as in the list read
    existing: Listing = field(default_factory=dict)
    #: where it was read (the server's address, or the simulation's)
    where: str = ""


def read_operation(
    base_url: str,
    token: str,
    *,
    timeout: float,
    policy: Policy,
    session: requests.Session | None = None,
    clock: Clock | None = None,
) -> Operation:
    """Read the skills list and the campaign list (one call each, under the token lock).

    A busy token or maintenance is waited out as for a run (``policy.retry_for``). Raises
    :class:`ApiStopped` with a sentence for the page when either cannot be read.
    """
    clock = clock or Clock(time.time, time.sleep)
    check_policy(base_url, timeout, policy)
    with TokenLock(token):
        client = WolkvoxClient(base_url, token, session=session, timeout=timeout)
        try:
            skills = read_skills(client, clock, policy)
            listed = read_list(client, clock, policy)
        except ApiStopped as exc:
            message = _(
                "The operation's skills and campaigns could not be read ({why}). The review "
                "checks the rows without them; they are read when you send."
            )
            refused = exc if isinstance(exc, ListRefused) else None
            raise Unread(message.format(why=_why(exc)), refused) from None
        finally:
            client.session.close()
    return Operation(skills or None, index_by_name(listed), base_url)


def _why(exc: ApiStopped) -> str:
    answer = getattr(exc, "answer", None)
    return str(answer.message) if answer is not None else str(exc)


#: How long the page's read waits out a busy token or maintenance: the person is waiting
#: for the review, and the list is read again at Send when it could not be read now.
PAGE_RETRY_FOR = 30.0


def where_for_review(
    launch: Launch, sandbox_url: str | None, server: str, typed: str
) -> tuple[str, str] | None:
    """(base URL, token) to read the operation with, or None when the page knows no
    server or no token yet: the simulation's, else the launch's server or the one typed,
    with the token typed, else ``--token-file``/``WOLKVOX_TOKEN``."""
    if launch.simulate:
        from importer.sandbox.server import DEFAULT_TOKEN

        return (sandbox_url, DEFAULT_TOKEN) if sandbox_url else None
    base_url = launch.base_url or (base_url_for(server) if server.strip() else None)
    if base_url is None:
        return None
    token = launch.read_token(typed)
    return (base_url, token) if token else None


def read_for_review(launch: Launch, base_url: str, token: str) -> Operation:
    """:func:`read_operation` with the launch's timeout and waits (shortened for a page
    that someone is looking at). Raises :class:`ImporterError` with the page's sentence."""
    policy = Policy(retry_for=PAGE_RETRY_FOR)
    if launch.simulate:
        policy.reconcile_after = 0.0
    timeout = float(getattr(launch.args, "timeout", None) or DEFAULT_TIMEOUT)
    return read_operation(base_url, token, timeout=timeout, policy=policy)
