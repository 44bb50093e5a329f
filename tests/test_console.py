"""What the terminal shows: progress, and output that never crashes on a narrow encoding."""

import io

from importer.cli.console import forgiving, progress_factory


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


def test_the_records_bar_counts_batches_added_and_failed():
    term = _Terminal()
    bar = progress_factory(term, quiet=False, records=True)(3)
    bar.sending(1, "Cobranza")
    bar.row_done(1, "added")
    bar.row_done(2, "failed")
    bar.close()
    shown = term.getvalue()
    assert "loading records" in shown and "2/3" in shown and "batch" in shown
    assert "added=1" in shown and "record refused=1" in shown  # the records sheet's words


def test_a_console_that_cannot_show_a_character_gets_a_mark_instead_of_an_error():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")  # a Windows console, redirected
    forgiving(stream).write("Campaña ✓ 北京\n")
    stream.flush()
    assert raw.getvalue().decode("cp1252") == "Campaña ? ??\n"


def test_control_characters_quoted_from_a_file_reach_the_terminal_visibly(tmp_path):
    from .conftest import row, run_cli, write_csv

    src = write_csv(tmp_path / "c.csv", [row("Uno")])
    text = src.read_text(encoding="utf-8")
    src.write_text(text.replace("campaign_name", "campaign_name\x1b[2J\x07", 1), encoding="utf-8")
    result = run_cli("validate", src)
    assert result.code == 2
    assert "\x1b" not in result.err and "\x07" not in result.err
    assert 'unknown column "campaign_name<U+001B>[2J<U+0007>"' in result.err


def test_the_console_escapes_every_line_once_and_keeps_tabs_and_line_breaks():
    from importer.cli.console import shown_on_terminal

    out = io.StringIO()
    stream = forgiving(out)
    print("a\x1b[31mb\x07\tc\r\x9bd\x7f", file=stream)
    assert forgiving(stream) is stream  # not escaped twice
    print("<U+001B> stays as written", file=forgiving(stream))
    assert out.getvalue() == "a<U+001B>[31mb<U+0007>\tc<U+000D><U+009B>d<U+007F>\n" + (
        "<U+001B> stays as written\n"
    )
    assert shown_on_terminal("Campaña ✓") == "Campaña ✓"
