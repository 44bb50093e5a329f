"""The page's own advice in place of the command line's.

The engine's messages say what to do at a terminal: "run with --type", "check
--server/--base-url", "run the same command again". On the page nobody types a command;
the same message must say what to do *there*. :data:`PAGE_WORDS` gives each such message
of the engine (its source text, as in the catalogue) the page's wording, with the same
placeholders, and :func:`page_words` puts them in force while the page answers a request
and in the runs it starts (their threads copy the request's context), so the engine's one
set of messages reads right on both faces, in both languages. The results a run of the
page writes carry the page's words too: the person reads them beside the page.

A test holds every text of the catalogue that names an option or a command against this
table: each is either given the page's words here or shown, with its reason, never to reach
the page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from importer import i18n
from importer.i18n import N_

#: Engine text -> the page's text (placeholders kept).
PAGE_WORDS: dict[str, str] = {
    # the answers of wolkvox (importer.send.answers)
    "wolkvox did not accept the token; check it (WOLKVOX_TOKEN or --token-file): a wolkvox "
    "manager administrator can give you a valid one": N_(
        "wolkvox did not accept the token; check it and type it again: an administrator of "
        "your operation generates tokens in wolkvox Manager"
    ),
    "the server sends the request elsewhere (a redirect): the server address is wrong; check "
    "--server/--base-url": N_(
        "the server sends the request elsewhere (a redirect): the server address is wrong; "
        "check the server (the digits after wv in your wolkvox address)"
    ),
    "wolkvox does not know this API address: the server address is wrong; check "
    "--server/--base-url": N_(
        "wolkvox does not know this API address: the server address is wrong; check the "
        "server (the digits after wv in your wolkvox address)"
    ),
    "wolkvox has no API at this address: the server address is wrong; check "
    "--server/--base-url": N_(
        "wolkvox has no API at this address: the server address is wrong; check the server "
        "(the digits after wv in your wolkvox address)"
    ),
    "could not connect to the server: its name was not found, so nothing was sent; check "
    "--server/--base-url and the network": N_(
        "could not connect to the server: its name was not found, so nothing was sent; check "
        "the server (the digits after wv in your wolkvox address) and the network"
    ),
    "could not connect to the server: the connection was refused, so nothing was sent; check "
    "--server/--base-url and the network": N_(
        "could not connect to the server: the connection was refused, so nothing was sent; "
        "check the server (the digits after wv in your wolkvox address) and the network"
    ),
    "could not connect to the server: it did not reply, so nothing was sent; check the network "
    "and --server/--base-url": N_(
        "could not connect to the server: it did not reply, so nothing was sent; check the "
        "network and the server (the digits after wv in your wolkvox address)"
    ),
    "the secure connection to the server could not be set up (for example, its certificate is "
    "not trusted), so nothing was sent; check --server/--base-url, or the certificate settings "
    "with your network team": N_(
        "the secure connection to the server could not be set up (for example, its "
        "certificate is not trusted), so nothing was sent; check the server, or the "
        "certificate settings with your network team"
    ),
    # the run (importer.job, importer.send.sender, importer.record.results)
    "{why}. Nothing was sent and no file was written: put that right, then run the same "
    "command again.": N_("{why}. Nothing was sent: put that right, then send again."),
    "{why}. Nothing was sent and the run is still unfinished: put that right, then run the "
    "same command with --resume again.": N_(
        "{why}. Nothing was sent, and the run is still unfinished: put that right, then "
        "resume it again."
    ),
    "not sent: {why}. Nothing was sent; run the same command again later. If this keeps "
    "happening, check the server address, or run with --no-skip-existing to send without this "
    "check.": N_(
        "not sent: {why}. Nothing was sent; send again later. If this keeps happening, check "
        "the server and the network."
    ),
    "sent, but the run ended before the answer was recorded; run again with --resume to check "
    "it against the campaign list": N_(
        "sent, but the run ended before the answer was recorded; resume the run on this page "
        "to check it against the campaign list"
    ),
    "{why}; still so after {waited} s of retries (--retry-for {limit})": N_(
        "{why}; still so after {waited} s of retries"
    ),
    "cannot write in the folder {folder} ({why}); nothing was read or sent. Choose another "
    "--out, or check the folder's permissions.": N_(
        "cannot write in the folder {folder} ({why}); nothing was read or sent. Free some disk "
        "space, or check the folder's permissions, then send again."
    ),
    "cannot write {path} ({why}); nothing was sent. Free some disk space or check the folder's "
    "permissions, then run the same command again.": N_(
        "cannot write {path} ({why}); nothing was sent. Free some disk space or check the "
        "folder's permissions, then send again."
    ),
    "cannot write the journal {path} ({why}). The run stopped: every request sent so far is "
    "recorded in the journal, and nothing more was sent. Free some disk space, then run the "
    "same command with --resume to finish the run and write its results.": N_(
        "cannot write the journal {path} ({why}). The run stopped: every request sent so far "
        "is recorded in the journal, and nothing more was sent. Free some disk space, then "
        "resume the run on this page to finish it and write its results."
    ),
    "--resume must use the same {options} as the run it resumes ({path}); give the same values "
    "as that run, or start a new run with another --out.": N_(
        "this page was started with other {options} than the run it would resume ({path}); "
        "start the page again with the same values to resume it, or close the run."
    ),
    "--server {server} is not a server nomenclature; it looks like 0032 (the digits after 'wv' "
    "in your wolkvox address).": N_(
        "the server {server} is not a server number; it looks like 0032 (the digits after "
        "'wv' in your wolkvox address)."
    ),
    # reading and checking the sheet (importer.read.table, importer.read.workbook,
    # importer.read.csvfile, importer.check.schema)
    "{name} has a header (row {row}) but no data rows. Add campaigns below the header and run "
    "again.": N_(
        "{name} has a header (row {row}) but no data rows. Add campaigns below the header, "
        "save the file and upload it again."
    ),
    "{name}: unknown column {columns}. Its data would be lost: rename the column header and "
    "run again.": N_(
        "{name}: unknown column {columns}. Its data would be lost: choose below the field that "
        "column holds, or ignore it."
    ),
    "{name} has no header row with the expected column names (campaign_name, skill_id, ...); "
    "first row holds: {found}. Start from the template: {template}": N_(
        "{name} has no header row with the expected column names (campaign_name, skill_id, "
        "...); first row holds: {found}. Start from the blank template linked on this page."
    ),
    'read sheet "{sheet}" (use --sheet to pick another)': N_(
        'read sheet "{sheet}" (another one can be chosen under "Sheet to read")'
    ),
    '{name}: the text encoding could not be recognised. Save it from Excel as "CSV UTF-8", or '
    "name the encoding with --encoding (e.g. --encoding cp1252).": N_(
        '{name}: the text encoding could not be recognised. Save it from Excel as "CSV UTF-8" '
        "and upload it again."
    ),
    "type_campaign is empty; write preview or predictive, or run with --type": N_(
        "type_campaign is empty; write preview or predictive"
    ),
    # undo (importer.send.undo), on the page's undo of a run
    "started in wolkvox (status {status}); --include-started deletes it too": N_(
        "started in wolkvox (status {status}); tick the box to delete started or used campaigns too"
    ),
    "used since the run (last use {when}); --include-started deletes it too": N_(
        "used since the run (last use {when}); tick the box to delete started or used campaigns too"
    ),
    "the run of {out} is unfinished, so it cannot be undone yet: finish it first (the same "
    "run command with --resume, or Resume or Close on the page), then undo it.": N_(
        "this run is unfinished, so it cannot be undone yet: resume it or close it first (in "
        "the history), then undo it."
    ),
    "the results workbook could not be written again ({why}); the journal holds everything: "
    "run wolkvox-import report {out} once that is put right": N_(
        "the results workbook could not be written again ({why}); the journal holds "
        "everything: close the file if it is open in Excel, then open the undo again"
    ),
}


@contextlib.contextmanager
def page_words() -> Iterator[None]:
    """The page's wording in force inside the block (see the module's docstring)."""
    with i18n.variants(PAGE_WORDS):
        yield


#: How a message puts the server's own words beside its sentence (importer.send.answers).
_BESIDE = (
    "{sentence} (wolkvox: {said})",
    "{sentence} (proxy: {said})",
    "{sentence} (error: {said})",
)


def split_said(message: str) -> tuple[str, str]:
    """``message`` as its plain sentence, and the words it quotes beside it for support
    (``wolkvox: HTTP 400 SKILL ID NOT FOUND``), so that the page can show the sentence first
    and the server's words apart; ``(message, "")`` when it quotes none.

    The quote is found by the catalogue's own way of writing it, in the current language;
    the last one wins (a stop message wraps the row's), and its parentheses are matched,
    since the server's words may hold some (``... PER TOKEN (2)``).
    """
    best: tuple[int, str] | None = None
    for template in _BESIDE:
        shown = i18n._(template)
        head, _sentence, rest = shown.partition("{sentence}")
        middle, _said, _tail = rest.partition("{said}")
        if head or "(" not in middle:
            continue  # a translation that moved the parts around: shown whole
        at = message.rfind(middle)
        if at >= 0 and (best is None or at > best[0]):
            best = (at, middle)
    if best is None:
        return message, ""
    at, middle = best
    rest = message[at + len(middle) :]
    depth = middle.count("(") - middle.count(")")
    for i, char in enumerate(rest):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            said, after = rest[:i], rest[i + 1 :]
            who = middle.strip().lstrip("(").strip()
            return (message[:at] + after).strip(), f"{who} {said}".strip()
    return message, ""
