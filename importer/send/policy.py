"""How long to wait and when to give up: every default, written once.

Kept free of heavy imports so that the command line's help can show the defaults
without loading pandas or requests.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The server may take up to 60 s per call (see docs/wolkvox-api.md, "Limits").
SERVER_LIMIT = 60.0
#: Seconds to wait for an answer: above the server's limit, so a slow answer is not
#: taken for a lost one.
DEFAULT_TIMEOUT = 75.0
#: Seconds to wait for the connection itself.
CONNECT_TIMEOUT = 15.0
#: Seconds between two reads of the campaign list, as the docs ask of information calls.
LIST_INTERVAL = 300.0
#: Records per add_record call: the default, and the most the contract allows.
DEFAULT_BATCH = 1_000
MAX_BATCH = 10_000
#: Calls one licence may make per day, per the contract.
DAILY_CALLS = 1000
#: Seconds one call usually takes, for estimates shown before a run only: the contract
#: gives no typical figure (only the 60 s limit), so this is an estimate, said as one; the
#: page measures the real pace once sending begins.
ESTIMATED_CALL_SECONDS = 1.0
#: The longest campaign_name accepted, in characters. The contract states no limit,
#: but a server that silently cut a longer name would store a name the importer never
#: sent, and "exists" and the check of unclear outcomes, which find campaigns by name,
#: would miss it: such a row could be created twice. 100 is the shortest text limit the
#: API documents (opt1-opt6 of add_record) and a common column size.
MAX_NAME_LENGTH = 100
#: The most characters a cell holds in Excel (and so in any sheet it saves). A longer
#: one comes from a CSV only, usually a quote left open; the workbooks cut it there.
MAX_CELL_CHARS = 32_767


@dataclass
class Policy:
    """How long to keep trying, and when to give up."""

    #: Total seconds one row may spend waiting for a busy token or maintenance.
    retry_for: float = 300.0
    first_delay: float = 2.0
    max_delay: float = 60.0
    #: Stop the run after this many consecutive failed rows (None: never).
    max_failures: int | None = None
    #: Stop the run after this many consecutive unclear outcomes: past a few, the
    #: server or the network is failing, and every further row would be unclear too.
    max_unknown: int = 3
    #: Check unclear outcomes against the campaign list no sooner than this after the
    #: attempt: the server may still be working on the call until its limit.
    reconcile_after: float = SERVER_LIMIT
    #: Read the campaign list no sooner than this after the last read: the docs ask for
    #: information calls at most every 5 minutes (settling unclear batches waits for it).
    list_interval: float = LIST_INTERVAL


def is_loopback(host: str) -> bool:
    """True for this machine's own addresses (``localhost``, 127.0.0.0/8, ``::1``)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_policy(base_url: str, timeout: float, policy: Policy) -> None:
    """Refuse settings that would turn "still being created" into "safe to send again".

    Below the server's 60 s limit, a slow answer looks lost and a check of the campaign
    list can come before the campaign exists. That is allowed only against this
    machine (the sandbox, tests), where nothing real is created.
    """
    from urllib.parse import urlsplit

    from importer.errors import UsageError
    from importer.i18n import _

    if not timeout > 0:
        raise UsageError(
            _("--timeout must be more than 0 seconds (default {n}).").format(
                n=f"{DEFAULT_TIMEOUT:g}"
            )
        )
    for name, value in (
        ("--reconcile-after", policy.reconcile_after),
        ("--retry-for", policy.retry_for),
        ("--list-interval", policy.list_interval),
    ):
        if value < 0:
            raise UsageError(_("{option} cannot be negative.").format(option=name))
    if policy.max_unknown < 1 or (policy.max_failures is not None and policy.max_failures < 1):
        raise UsageError(_("--max-unknown and --max-failures must be 1 or more."))
    if is_loopback(urlsplit(base_url).hostname or ""):
        return
    if policy.list_interval < LIST_INTERVAL:
        message = _(
            "--list-interval {value} is below the {limit} s wolkvox asks between two reads of "
            "the campaign list; use {limit} or more (shorter waits are only for this "
            "machine's sandbox)."
        )
        raise UsageError(
            message.format(value=f"{policy.list_interval:g}", limit=f"{LIST_INTERVAL:g}")
        )
    for name, value in (("--timeout", timeout), ("--reconcile-after", policy.reconcile_after)):
        if value < SERVER_LIMIT:
            message = _(
                "{option} {value} is below the server's {limit} s limit: an answer still on "
                "its way would be taken for a lost one, and the campaign could be created "
                "twice. Use {limit} or more (shorter waits are only for this machine's sandbox)."
            )
            raise UsageError(
                message.format(option=name, value=f"{value:g}", limit=f"{SERVER_LIMIT:g}")
            )


# --- what a file may cost to read --------------------------------------------------------
# A spreadsheet says of itself how large it is, and a few kilobytes can claim a sheet of
# 17 billion cells or gigabytes of XML. The readers hold every cell of a sheet's used
# area, so these limits keep any file well under 1 GiB of memory; past them the file
# is refused with a message, before anything is read.

#: Excel's own sheet size.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
#: The most cells (rows times columns, empty ones included) of the area a sheet uses. Four
#: million is 200,000 rows of every column the importer knows, or all of Excel's rows
#: with four columns.
MAX_CELLS = 4_000_000
#: The most cells of a records CSV (``--records``, or a second file on the page). Records
#: come in long contact lists, 200,000 records of 20 columns and more; a CSV's cells are
#: held as text and checked column by column, about 40 bytes each, so 25 million is about
#: 1 GB at most, while a workbook's cells cost far more to read and keep MAX_CELLS.
MAX_RECORD_CELLS = 25_000_000
#: Columns this far (or farther) right of the rest of a sheet hold stray cells, which are
#: left out rather than read with all the empty columns between.
STRAY_GAP = 64
#: The largest file read at all (a 100,000-row sheet is about 10 MB).
MAX_FILE_BYTES = 256 * 2**20
#: The most bytes a workbook's parts may unpack to, all together, and the most parts.
MAX_UNPACKED = 256 * 2**20
MAX_PARTS = 10_000
#: The longest line of a CSV file, in characters: Excel's 16,384 columns of about 500
#: characters each. A longer one is not a row of a sheet.
MAX_LINE_CHARS = 8 * 2**20
