"""The one exception family of the package.

Problems with single rows are *data* (:class:`importer.check.problems.Problem`), never
exceptions. Exceptions are for things that stop the whole job: an unreadable
file, a refused token, a journal that belongs to another input. Each carries a
message written for the operator, saying what to do next.
"""


class ImporterError(Exception):
    """Base class of every error the importer raises on purpose."""


class InputError(ImporterError):
    """The input file as a whole cannot be used (unreadable, empty, bad header)."""


class UsageError(ImporterError):
    """The command was given options that cannot work together or are missing."""


class ApiStopped(ImporterError):
    """The API answered in a way that makes every further request pointless.

    ``why`` is the cause alone (``HTTP 500 ...``), for a sentence that says itself what
    could not be done; the message is the whole sentence.
    """

    def __init__(self, message: str = "", *, why: str = "") -> None:
        super().__init__(message)
        self.why = why or message


class JournalError(ImporterError):
    """The run's journal forbids going on (unfinished run, changed input, lock held)."""
