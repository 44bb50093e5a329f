"""What one start of the page was given: where to send, how to check, where files live."""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from importer import job
from importer.check import schema
from importer.cli import settings as cli_settings
from importer.send.client import check_token

TOKEN_VARIABLE = "WOLKVOX_TOKEN"


@dataclass
class Launch:
    """The page's settings for this start (never the token itself)."""

    workdir: Path
    simulate: bool
    #: where runs are sent; None when the person names the server on the page
    base_url: str | None
    #: how rows are checked, the same for the review and the run (skills read once)
    options: schema.Options
    language: str
    max_upload: int
    token_file: Path | None = None
    #: --reconcile-after; None: the engine's default (0 in a simulation, see settings())
    reconcile_after: float | None = None
    #: the command's options, read by :func:`importer.cli.settings.from_args` for each run
    args: argparse.Namespace | None = None

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
        if token:
            return check_token(token)
        return cli_settings.read_token(self.token_file)

    def settings(
        self, input_path: Path, out: Path, base_url: str, *, resume: bool,
        skills: dict[str, str] | None = None,
    ) -> job.Settings:  # fmt: skip
        """The run's settings, built where the command line builds its own.

        ``skills``: the skills list wolkvox gave the review (:mod:`importer.web.live`),
        pinned for the run, its read-back check and its journal, so that the rows are
        checked with the list the page showed them with. A resume takes the list its
        journal pinned instead, as on the command line.
        """
        options = argparse.Namespace(**vars(self.args)) if self.args is not None else None
        options = options or argparse.Namespace()
        options.input, options.out, options.resume = input_path, out, resume
        options.skills = None  # read once at the start: self.options holds them
        if self.reconcile_after is not None:
            options.reconcile_after = self.reconcile_after
        result = cli_settings.from_args(options, dry_run=False)
        result.base_url = base_url
        # a copy: a resume's pinned list must not become the review's
        result.validation = dataclasses.replace(self.options)
        result.skills_file = getattr(self.args, "skills", None)
        if skills is not None and self.options.skills is None:
            result.validation.skills = result.skills_list = dict(skills)
        # A new run never reads the list by itself: the page read it for the review (or
        # found none), and a list read only now could refuse rows the review showed valid.
        result.live_skills = resume
        if self.reconcile_after is None and self.simulate:
            # The simulated server lives and dies with this process: after a crash no
            # call can still be under way there, so unclear rows are checked at once.
            result.policy.reconcile_after = 0.0
        return result
