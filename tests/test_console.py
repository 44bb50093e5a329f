"""What the terminal shows: progress, and output that never crashes on a narrow encoding."""

import io

from importer.console import forgiving, progress_factory


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_shows_counts_on_a_terminal_only():

    term = _Terminal()
    bar = progress_factory(term, quiet=False)(2)
    bar.row_done(2, "created")
    bar.row_done(3, "failed")
    bar.close()
    assert "created=1" in term.getvalue() and "failed=1" in term.getvalue()
    for stream, quiet in ((_Terminal(), True), (io.StringIO(), False)):
        bar = progress_factory(stream, quiet=quiet)(1)
        bar.row_done(2, "created")
        bar.close()
        assert stream.getvalue() == ""


def test_a_console_that_cannot_show_a_character_gets_a_mark_instead_of_an_error():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")  # a Windows console, redirected
    forgiving(stream).write("Campaña ✓ 北京\n")
    stream.flush()
    assert raw.getvalue().decode("cp1252") == "Campaña ? ??\n"
