"""What one start of the page was given: where to send, how to check, where files live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from importer import job, schema
from importer.client import check_token
from importer.errors import UsageError
from importer.i18n import _
from importer.send import Policy

TOKEN_VARIABLE = "WOLKVOX_TOKEN"


@dataclass
class Launch:
    """The page's settings for this start (never the token itself)."""

    workdir: Path
    simulate: bool
    #: where runs are sent; None when the person names the server on the page
    base_url: str | None
    options: schema.Options
    language: str
    max_upload: int
    token_file: Path | None = None

    def token_source(self) -> str:
        """Where a token comes from when the page's field is left empty ("" if nowhere)."""
        if self.token_file is not None:
            return str(self.token_file)
        return TOKEN_VARIABLE if os.environ.get(TOKEN_VARIABLE, "").strip() else ""

    def read_token(self, typed: str) -> str | None:
        """The token for one run: the one typed, else --token-file, else WOLKVOX_TOKEN.

        Read when a run starts and kept only by that run: it is never stored.
        """
        token = typed.strip()
        if not token and self.token_file is not None:
            try:
                token = self.token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise UsageError(
                    _("--token-file {path}: cannot be read ({why}).").format(
                        path=self.token_file, why=exc.strerror
                    )
                ) from None
        if not token:
            token = os.environ.get(TOKEN_VARIABLE, "").strip()
        return check_token(token) if token else None

    def settings(self, input_path: Path, out: Path, base_url: str, *, resume: bool) -> job.Settings:
        """The run's settings, as the command line would build them."""
        policy = Policy()
        if self.simulate:
            # The simulated server lives and dies with this process: after a crash no
            # call can still be under way there, so unclear rows are checked at once.
            policy.reconcile_after = 0.0
        return job.Settings(
            input=input_path,
            out=out,
            base_url=base_url,
            resume=resume,
            validation=self.options,
            policy=policy,
        )
