"""The command line, in-process, against the sandbox over real HTTP on 127.0.0.1."""

import json
import subprocess
import sys
import zipfile

import pytest
import responses

from importer.cli.commands import ExitCode
from importer.sandbox.server import DEFAULT_TOKEN

from .conftest import FILES, ROOT, read_results, row, run_cli, statuses, write_csv, write_xlsx


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    return DEFAULT_TOKEN


def sheet(tmp_path, *rows, name="campaigns.csv"):
    return write_csv(tmp_path / name, rows)


def test_exit_codes_are_the_documented_numbers():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 70, 130]


def test_run_creates_every_row_and_exits_0(tmp_path, sandbox, token):
    src = sheet(tmp_path, row("Uno"), row("Dos"), row("Tres"))
    result = run_cli("run", src, "--base-url", sandbox.url)
    assert result.code == ExitCode.OK, result.err
    assert "3 created" in result.out
    assert statuses(tmp_path / "campaigns.results.xlsx") == {
        2: "created",
        3: "created",
        4: "created",
    }
    assert sandbox.state.created_names() == {"Uno": 1, "Dos": 1, "Tres": 1}
    assert sandbox.state.overlaps == 0
    assert not (tmp_path / "campaigns.results.retry.xlsx").exists()


def test_failed_row_exits_1_and_goes_to_a_retry_file_that_runs_unchanged(
    tmp_path, make_sandbox, token
):
    box = make_sandbox(faults={"Dos": ["required"]})
    src = sheet(tmp_path, row("Uno"), row("Dos"), row("Tres"))
    result = run_cli("run", src, "--base-url", box.url)
    assert result.code == ExitCode.ROWS_NOT_CREATED
    assert (
        "row 3 (Dos): failed: wolkvox says a required field of this row is missing; fill it in "
        "and send the row again (wolkvox: HTTP 400 SOME PARAMETERS ARE REQUIRED)" in result.out
    )
    retry = tmp_path / "campaigns.results.retry.xlsx"
    assert f"retry file: {retry} (1 row)" in result.out
    again = run_cli("run", retry, "--base-url", box.url)
    assert again.code == ExitCode.OK, again.out + again.err
    assert "warning" not in again.err  # the retry file's own columns are expected
    (created,) = read_results(tmp_path / "campaigns.results.retry.results.xlsx")
    assert (created["campaign_name"], created["status"]) == ("Dos", "created")
    assert box.state.created_names() == {"Uno": 1, "Dos": 1, "Tres": 1}


def test_dry_run_sends_nothing_and_shows_each_body(tmp_path, sandbox, token):
    src = sheet(tmp_path, row("Uno", skill_id="0042"), row("Dos"))
    result = run_cli("run", src, "--dry-run", "--base-url", sandbox.url)
    assert result.code == ExitCode.OK
    assert "dry run, nothing sent: 2 valid" in result.out
    assert sandbox.state.create_calls == 0
    first = read_results(tmp_path / "campaigns.check.xlsx")[0]
    assert first["status"] == "valid"
    assert json.loads(first["message"])["skill_id"] == "0042"


def test_validate_reports_every_problem_and_exits_1(tmp_path):
    out = tmp_path / "new-folder" / "mistakes.results.xlsx"
    result = run_cli("validate", ROOT / "sample_data/campaigns-with-mistakes.csv", "--out", out)
    assert result.code == ExitCode.ROWS_NOT_CREATED
    assert "12 problem(s) in 10 row(s); these rows are not sent:" in result.out
    assert (
        "  row 8, skill_id '10A': skill_id must be digits only: \"A\" at position 3 is not a digit"
        in result.out
    )
    assert "warning: ignored columns not used by wolkvox: notas internas" in result.err
    assert statuses(out)[12] == "valid"
    assert (tmp_path / "new-folder" / "mistakes.results.retry.xlsx").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "usage"),
        (("run",), "give the spreadsheet to read (or --records FILE to load records only)"),
        (("run", "x.csv", "--type", "other"), "invalid choice: 'other'"),
    ],
)
def test_usage_errors_exit_2(args, message, capsys):
    result = run_cli(*args)
    captured = capsys.readouterr()
    assert result.code == ExitCode.BAD_INPUT
    assert message in result.out + result.err + captured.err


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("missing.csv", "missing.csv: no such file. Check the path and try again."),
        ("empty.csv", "empty.csv is empty. Fill in at least one campaign under the header row."),
        ("misspelt-column.csv", '"campain_name" (did you mean campaign_name?)'),
        ("no-skill-column.csv", "has no skill_id column"),
        ("truncated.xlsx", "could not be opened as a workbook: it looks damaged or truncated"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(file, message, tmp_path):
    result = run_cli("validate", FILES / file, "--out", tmp_path / "r.xlsx")
    assert result.code == ExitCode.BAD_INPUT
    assert result.err.startswith("wolkvox-import: error: ")
    assert message in result.err
    assert "Traceback" not in result.err


def test_run_without_token_says_how_to_give_one(tmp_path, sandbox):
    result = run_cli("run", sheet(tmp_path, row("Uno")), "--base-url", sandbox.url)
    assert result.code == ExitCode.BAD_INPUT
    assert "no token: set WOLKVOX_TOKEN or pass --token-file PATH" in result.err


def test_run_without_server_says_how_to_name_one(tmp_path, token):
    result = run_cli("run", sheet(tmp_path, row("Uno")))
    assert result.code == ExitCode.BAD_INPUT
    assert "no server: pass --server (e.g. --server 0032) or --base-url." in result.err


def test_plain_http_to_another_host_is_refused(tmp_path, token):
    result = run_cli("run", sheet(tmp_path, row("Uno")), "--base-url", "http://10.1.2.3")
    assert result.code == ExitCode.BAD_INPUT
    assert "refusing to send the token over plain http to 10.1.2.3" in result.err


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("bad_token", "wolkvox did not accept the token; check it"),
        ("no_api", "wolkvox does not know this API address"),
        ("quota", "today's quota of wolkvox API calls is used up"),
    ],
)
def test_api_stops_exit_3_and_leave_the_rest_not_sent(
    tmp_path, make_sandbox, token, fault, message
):
    box = make_sandbox(faults={"Dos": [fault]})
    src = sheet(tmp_path, row("Uno"), row("Dos"), row("Tres"))
    result = run_cli("run", src, "--base-url", box.url)
    assert result.code == ExitCode.API_STOPPED
    assert message in result.out
    assert statuses(tmp_path / "campaigns.results.xlsx") == {
        2: "created", 3: "not_sent", 4: "not_sent"}  # fmt: skip
    retry = read_results_rows(tmp_path / "campaigns.results.retry.xlsx")
    assert [r["campaign_name"] for r in retry] == ["Dos", "Tres"]


def test_wrong_token_exits_3(tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", "not-the-token")
    result = run_cli(
        "run", sheet(tmp_path, row("Uno")), "--base-url", sandbox.url, "--no-skip-existing"
    )
    assert result.code == ExitCode.API_STOPPED
    assert sandbox.state.created_names() == {}


def test_a_token_refused_on_the_campaign_list_says_so_and_never_to_skip_the_check(
    tmp_path, sandbox, monkeypatch
):
    monkeypatch.setenv("WOLKVOX_TOKEN", "not-the-token")
    result = run_cli("run", sheet(tmp_path, row("Uno")), "--base-url", sandbox.url)
    assert result.code == ExitCode.API_STOPPED
    assert (
        "wolkvox did not accept the token; check it (WOLKVOX_TOKEN or --token-file)" in result.err
    )
    assert "(wolkvox: HTTP 403 PLEASE VALIDATE TOKEN)" in result.err
    # nothing was sent: no retry file of every row, just what to do
    assert "Nothing was sent and no file was written" in result.err
    assert not (tmp_path / "campaigns.results.retry.xlsx").exists()
    assert "--no-skip-existing" not in result.err  # skipping the check fixes no token
    assert sandbox.state.create_calls == 0


@responses.activate
def test_unreadable_campaign_list_stops_before_sending_and_names_the_option(tmp_path, token):
    base = "https://wv0032.wolkvox.com"
    skills = {"code": 200, "data": [{"skill_id": "101", "skill_name": "Ventas"}]}
    responses.get(
        f"{base}/api/v2/information.php", json=skills,
        match=[responses.matchers.query_param_matcher({"api": "skills"})],
    )  # fmt: skip
    responses.get(f"{base}/api/v2/information.php", status=500, body="Internal Server Error")
    result = run_cli("run", sheet(tmp_path, row("Uno")), "--base-url", base)
    assert result.code == ExitCode.API_STOPPED
    assert "run with --no-skip-existing to send without this check" in result.out
    assert [c.request.method for c in responses.calls] == ["GET", "GET"]  # nothing was created


@responses.activate
def test_an_unreadable_skills_list_stops_before_anything_is_written(tmp_path, token):
    base = "https://wv0032.wolkvox.com"
    responses.get(f"{base}/api/v2/information.php", status=500, body="Internal Server Error")
    result = run_cli("run", sheet(tmp_path, row("Uno")), "--base-url", base)
    assert result.code == ExitCode.API_STOPPED
    assert (
        "the skills list could not be read: HTTP 500 Internal Server Error. Nothing was sent. "
        "Run the same command again, or give the skills with --skills FILE"
    ) in result.err
    assert [c.request.url.split("?")[1] for c in responses.calls] == ["api=skills"]
    assert not list(tmp_path.glob("*.results*"))


def test_token_file_is_read_and_the_token_appears_nowhere(tmp_path, make_sandbox):
    secret = "tok-SECRET-4242"
    box = make_sandbox(tokens=frozenset({secret}), faults={"Dos": ["error"]})
    (tmp_path / "token.txt").write_text(secret + "\n")
    src = sheet(tmp_path, row("Uno"), row("Dos"))
    result = run_cli(
        "run",
        src,
        "--base-url",
        box.url,
        "--token-file",
        tmp_path / "token.txt",
        "--reconcile-after",
        "0",
    )
    assert result.code == ExitCode.ROWS_NOT_CREATED
    assert secret not in result.out + result.err
    for path in tmp_path.iterdir():
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                text = b"".join(z.read(n) for n in z.namelist())
        elif path.is_file() and path.name != "token.txt":
            text = path.read_bytes()
        else:
            continue
        assert secret.encode() not in text, path


def test_missing_token_file_is_a_usage_error(tmp_path):
    result = run_cli(
        "run", sheet(tmp_path, row("Uno")), "--server", "32", "--token-file", tmp_path / "nope.txt"
    )
    assert result.code == ExitCode.BAD_INPUT
    assert "--token-file" in result.err and "cannot be read" in result.err


def test_help_and_version_do_not_import_pandas():
    code = (
        "import sys, io; from importer.cli import commands as cli\n"
        "cli.main(['--version'], stdout=io.StringIO()); cli.main(['--help'])\n"
        "heavy = [m for m in ('pandas', 'pandera', 'requests', 'openpyxl') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
    assert "usage: wolkvox-import" in done.stdout


def read_results_rows(path):
    from openpyxl import load_workbook

    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_new_run_is_refused_while_another_holds_the_token(tmp_path, sandbox, token):
    import os

    from importer.send.lock import TokenLock

    with TokenLock(token):
        result = run_cli("run", sheet(tmp_path, row("Uno")), "--base-url", sandbox.url)
    assert result.code == ExitCode.BAD_INPUT
    assert f"another wolkvox-import (PID {os.getpid()}) is already using this token" in (result.err)
    assert sandbox.state.create_calls == 0


def test_skills_file_makes_unknown_skills_invalid_with_suggestions(tmp_path):
    skills = tmp_path / "skills.csv"
    skills.write_text("skill_id;skill_name\n101;Cobranza\n102;Ventas\n", encoding="utf-8")
    src = sheet(tmp_path, row("Uno"), row("Dos", skill_id="103"))
    result = run_cli("validate", src, "--skills", skills)
    assert result.code == ExitCode.ROWS_NOT_CREATED
    assert (
        "row 3, skill_id '103': skill_id is not one of the operation's skills; nearest "
        "known: 102 (Ventas), 101 (Cobranza)"
    ) in result.out


def test_skills_file_without_skill_column_is_refused(tmp_path):
    skills = tmp_path / "skills.csv"
    skills.write_text("nombre\nCobranza\n", encoding="utf-8")
    result = run_cli("validate", sheet(tmp_path, row("Uno")), "--skills", skills)
    assert result.code == ExitCode.BAD_INPUT
    assert "--skills skills.csv has no skill_id column" in result.err


def test_an_internal_fault_exits_70_without_a_traceback(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something only a developer should see")

    monkeypatch.setattr("importer.check.schema.validate", broken)
    result = run_cli("validate", sheet(tmp_path, row("Uno")))
    assert result.code == ExitCode.INTERNAL_ERROR
    assert result.err == (
        "wolkvox-import: internal error (RuntimeError). Nothing more was sent; a run's journal "
        "stays valid, so --resume is safe. Set WOLKVOX_IMPORT_DEBUG=1 to see the details, and "
        "report it.\n"
    )


def _stopped_by_quota(tmp_path, make_sandbox, *extra):
    """A finished run that the quota stopped after one row, ready to be resumed."""
    box = make_sandbox(quota=3)  # every call counts: the skills, the campaign list, one row
    src = sheet(tmp_path, row("Uno"), row("Dos"), row("Tres"))
    first = run_cli("run", src, "--base-url", box.url, *extra)
    assert first.code == ExitCode.API_STOPPED, first.out + first.err
    return box, src


@pytest.mark.parametrize(
    ("first", "again", "named"),
    [
        ((), ("--type", "preview"), "--type"),
        ((), ("--time-format", "datetime"), "--time-format"),
        (("--time-format", "hhmmss"), ("--skills", "SKILLS"), "--skills"),
    ],
)
def test_resume_refuses_other_options_than_the_run_it_resumes(
    tmp_path, make_sandbox, token, first, again, named
):
    box, src = _stopped_by_quota(tmp_path, make_sandbox, *first)
    skills = tmp_path / "skills.csv"
    skills.write_text("skill_id\n101\n", encoding="utf-8")
    again = tuple(str(skills) if a == "SKILLS" else a for a in again)
    result = run_cli("run", src, "--base-url", box.url, "--resume", *again)
    assert result.code == ExitCode.BAD_INPUT
    assert f"--resume must use the same {named} as the run it resumes" in result.err
    assert box.state.create_calls == 2  # the row created and the one refused by the quota


def test_resume_refuses_another_server(tmp_path, make_sandbox, token):
    _box, src = _stopped_by_quota(tmp_path, make_sandbox)
    other = make_sandbox()
    result = run_cli("run", src, "--base-url", other.url, "--resume")
    assert result.code == ExitCode.BAD_INPUT
    assert "--resume must use the same --server/--base-url" in result.err
    assert other.state.create_calls == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--timeout", "5"), "--timeout 5 is below the server's 60 s limit"),
        (("--reconcile-after", "10"), "--reconcile-after 10 is below the server's 60 s limit"),
        (("--timeout", "0"), "--timeout must be more than 0 seconds"),
        (("--max-unknown", "0"), "--max-unknown and --max-failures must be 1 or more"),
    ],
)
def test_waits_that_could_create_twice_are_refused_against_a_real_server(
    tmp_path, token, args, message
):
    src = sheet(tmp_path, row("Uno"))
    result = run_cli("run", src, "--server", "0032", *args)
    assert result.code == ExitCode.BAD_INPUT
    assert message in result.err
    assert not (tmp_path / "campaigns.results.journal.jsonl").exists()


def test_a_token_file_saved_by_notepad_works(tmp_path, sandbox):
    token_file = tmp_path / "token.txt"
    token_file.write_bytes(b"\xef\xbb\xbf" + DEFAULT_TOKEN.encode() + b"\r\n")
    src = sheet(tmp_path, row("Uno"))
    result = run_cli("run", src, "--base-url", sandbox.url, "--token-file", token_file)
    assert result.code == ExitCode.OK, result.err
    assert sandbox.state.created_names() == {"Uno": 1}


def test_results_held_open_by_excel_are_rebuilt_from_the_journal_without_sending(
    tmp_path, sandbox, token, monkeypatch
):
    from importer.record import results

    real = results.write_results

    def locked(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(results, "write_results", locked)
    src = sheet(tmp_path, row("Uno"), row("Dos"))
    result = run_cli("run", src, "--base-url", sandbox.url)
    out = tmp_path / "campaigns.results.xlsx"
    assert result.code == ExitCode.BAD_INPUT
    assert (
        f"then write the results again from the run's journal with: wolkvox-import report {out}"
        in result.err
    )
    monkeypatch.setattr(results, "write_results", real)
    rebuilt = run_cli("report", out)
    assert rebuilt.code == ExitCode.OK, rebuilt.err
    assert statuses(out) == {2: "created", 3: "created"}
    assert sandbox.state.create_calls == 2


def test_report_without_a_journal_says_what_to_give(tmp_path):
    result = run_cli("report", tmp_path / "nothing.results.xlsx")
    assert result.code == ExitCode.BAD_INPUT
    assert "there is no journal at" in result.err


def test_help_speaks_spanish_when_asked():
    result = run_cli("run", "--help", "--lang", "es")
    assert "opciones:" in result.out and "la hoja de cálculo" in result.out


@pytest.mark.parametrize("args", [("web", "--port", "-1"), ("sandbox", "--port", "99999")])
def test_a_port_out_of_range_is_a_usage_error_not_an_internal_one(args):
    result = run_cli(*args)
    assert result.code == ExitCode.BAD_INPUT
    assert "a port is a number from 0 to 65535" in result.err


def test_output_cut_short_by_its_reader_is_no_internal_error(tmp_path):
    child = subprocess.Popen(
        [sys.executable, "-m", "importer", "validate", "sample_data/campaigns-with-mistakes.csv",
         "--out", str(tmp_path / "cut.xlsx")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    child.stdout.close()  # as `| head -1` does once it has its line
    err = child.stderr.read()
    assert child.wait(timeout=60) == ExitCode.ROWS_NOT_CREATED, err
    assert "internal error" not in err and "Traceback" not in err


def test_a_failed_row_line_names_its_status_in_spanish(tmp_path, make_sandbox, token):
    box = make_sandbox(faults={"Dos": ["required"]})
    src = sheet(tmp_path, row("Uno"), row("Dos"))
    result = run_cli("run", src, "--base-url", box.url, "--lang", "es")
    assert result.code == ExitCode.ROWS_NOT_CREATED
    assert "  fila 3 (Dos): fallida: wolkvox indica que falta un campo obligatorio" in result.out
    assert "(wolkvox: HTTP 400 SOME PARAMETERS ARE REQUIRED)" in result.out


@pytest.mark.parametrize(
    "args", [("--help",), ("run", "--help"), ("validate", "--help"), ("report", "--help"),
             ("template", "--help"), ("sandbox", "--help")],
)  # fmt: skip
def test_help_in_spanish_has_no_english_left(args):
    result = run_cli(*args, "--lang", "es")
    english = ["show program's version", "COMMAND", "positional arguments", "options:",
               "usage:", " PATH", " SHEET", " ENCODING", " CHARACTER", " SECONDS", " FILE",
               " PORT", " NAME", " input", " results", " path"]  # fmt: skip
    assert [w for w in english if w in result.out] == []
    assert result.out.startswith("uso: wolkvox-import")


def test_top_level_help_in_spanish_names_commands_and_version():
    out = run_cli("--help", "--lang", "es").out
    assert "COMANDO" in out and "mostrar la versión del programa y salir" in out


def test_the_dry_run_is_called_a_validation_in_spanish(tmp_path):
    src = sheet(tmp_path, row("Uno"))
    result = run_cli("validate", src, "--lang", "es")
    assert "solo validación, no se envió nada: 1 válida" in result.out
    assert "simulación" not in result.out + result.err


# Ctrl-C while the command is still loading: the moments are the imports the child
# reports finishing (-X importtime), from the command line's own modules to pandas.
EARLY_MOMENTS = [
    ("importer.i18n", "SIGINT"),
    ("importer.errors", "SIGINT"),
    ("importer.cli.arguments", "SIGINT"),
    ("importer.cli.commands", "SIGINT"),
    ("numpy", "SIGINT"),
    ("importer.job", "SIGINT"),
    ("importer.cli.arguments", "SIGTERM"),
]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals to a child process")
@pytest.mark.parametrize(("moment", "signame"), EARLY_MOMENTS)
def test_an_interrupt_while_loading_ends_with_130_and_one_line(tmp_path, moment, signame):
    import signal

    src = sheet(tmp_path, row("Uno"))
    child = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "importer", "validate", str(src),
         "--out", str(tmp_path / "r.xlsx"), "--lang", "es"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines = []
    for line in child.stderr:  # the import report comes line by line as imports finish
        lines.append(line)
        if line.rsplit("|", 1)[-1].strip() == moment:
            child.send_signal(getattr(signal, signame))
            break
    else:
        pytest.fail(f"{moment} was never imported: {''.join(lines)[-2000:]}")
    lines += child.stderr.read().splitlines(keepends=True)
    assert child.wait(timeout=60) == ExitCode.INTERRUPTED, "".join(lines)[-3000:]
    said = [line for line in lines if not line.startswith("import time:")]
    assert said == ["wolkvox-import: interrumpido.\n"], said


# Results are never silently replaced.


def _files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_a_dry_run_after_a_real_run_leaves_its_results_alone(tmp_path):
    src = sheet(tmp_path, row("Uno"), row("Dos", skill_id="999"), name="campañas.csv")
    real = run_cli("run", src, "--simulate", "--quiet")
    assert real.code == ExitCode.ROWS_NOT_CREATED, real.out + real.err
    before = _files(tmp_path)
    assert {"campañas.results.xlsx", "campañas.results.retry.xlsx"} <= set(before)
    check = run_cli("validate", src)
    assert check.code == ExitCode.OK, check.err
    check_file = tmp_path / "campañas.check.xlsx"
    assert f"check: {check_file} (a dry run's own file: it never replaces a run's results)" in (
        check.out
    )
    after = _files(tmp_path)
    assert {name: after[name] for name in before} == before  # ids and retry file kept
    assert statuses(check_file) == {2: "valid", 3: "valid"}
    assert statuses(tmp_path / "campañas.results.xlsx") == {2: "created", 3: "invalid"}


def test_a_dry_run_refuses_an_out_that_holds_a_real_runs_results(tmp_path, sandbox, token):
    src = sheet(tmp_path, row("Uno"))
    out = tmp_path / "campaigns.results.xlsx"
    assert run_cli("run", src, "--base-url", sandbox.url).code == ExitCode.OK
    before = out.read_bytes()
    refused = run_cli("validate", src, "--out", out)
    assert refused.code == ExitCode.BAD_INPUT
    assert (
        f"{out} holds the results of a real run (its journal "
        f"{tmp_path / 'campaigns.results.journal.jsonl'} is beside it), and a dry run never "
        f"replaces them: leave out --out (the check is then written to "
        f"{tmp_path / 'campaigns.check.xlsx'}) or choose another --out."
    ) in refused.err
    assert out.read_bytes() == before


def test_a_new_run_keeps_the_previous_runs_files_together_under_their_date(
    tmp_path, make_sandbox, token
):
    box = make_sandbox(faults={"Dos": ["required"]})
    out = tmp_path / "out" / "import.results.xlsx"
    first_src = sheet(tmp_path, row("Uno"), row("Dos"), name="first.csv")
    first = run_cli("run", first_src, "--base-url", box.url, "--out", out)
    assert first.code == ExitCode.ROWS_NOT_CREATED, first.err
    first_files = _files(out.parent)
    second_src = sheet(tmp_path, row("Tres"), name="second.csv")
    second = run_cli("run", second_src, "--base-url", box.url, "--out", out)
    assert second.code == ExitCode.OK, second.err
    kept = sorted(set(_files(out.parent)) - {"import.results.xlsx", "import.results.journal.jsonl"})
    (stamp,) = {name.split(".")[2] for name in kept}
    assert kept == [
        f"import.results.{stamp}.journal.jsonl",
        f"import.results.{stamp}.retry.xlsx",
        f"import.results.{stamp}.xlsx",
    ]
    assert f"the previous run's files were kept under their date: import.results.{stamp}.xlsx" in (
        second.err
    )
    for name, old in (
        ("import.results.xlsx", f"import.results.{stamp}.xlsx"),
        ("import.results.retry.xlsx", f"import.results.{stamp}.retry.xlsx"),
        ("import.results.journal.jsonl", f"import.results.{stamp}.journal.jsonl"),
    ):
        assert (out.parent / old).read_bytes() == first_files[name]
    assert statuses(out) == {2: "created"}  # the second run's own results
    assert not (out.parent / "import.results.retry.xlsx").exists()

    # report rebuilds the first run from its kept journal, named either way.
    archived = out.parent / f"import.results.{stamp}.xlsx"
    archived.unlink()
    for target in (out.parent / f"import.results.{stamp}.journal.jsonl", archived):
        rebuilt = run_cli("report", target)
        assert rebuilt.code == ExitCode.ROWS_NOT_CREATED, rebuilt.err
        assert f"results: {archived}" in rebuilt.out
        assert statuses(archived) == {2: "created", 3: "failed"}
    # An older version kept the journal as import.results.journal.<date>.jsonl.
    older = out.parent / f"import.results.journal.{stamp}.jsonl"
    (out.parent / f"import.results.{stamp}.journal.jsonl").rename(older)
    for target in (older, archived):
        rebuilt = run_cli("report", target)
        assert rebuilt.code == ExitCode.ROWS_NOT_CREATED, rebuilt.err
        assert statuses(archived) == {2: "created", 3: "failed"}
    assert box.state.create_calls == 3


def test_report_names_what_it_accepts(tmp_path):
    result = run_cli("report", tmp_path / "notes.jsonl")
    assert result.code == ExitCode.BAD_INPUT
    assert "is not named like a journal of wolkvox-import (NAME.journal.jsonl)" in result.err


def _refused_out(out, sandbox, src):
    """Each command's answer to ``--out out``: the exit codes and the error texts."""
    calls = sandbox.state.create_calls
    answers = [
        run_cli(*command, "--out", out)
        for command in (("validate", src), ("run", src, "--base-url", sandbox.url))
    ]
    assert sandbox.state.create_calls == calls  # nothing sent
    return {a.code for a in answers}, [a.err for a in answers]


def test_out_naming_other_than_a_workbook_is_refused(tmp_path, sandbox, token):
    src = sheet(tmp_path, row("Uno"))
    journal = tmp_path / "campaigns.results.journal.jsonl"
    for out in (tmp_path / "notes.txt", journal, tmp_path / "results"):
        codes, errors = _refused_out(out, sandbox, src)
        assert codes == {ExitCode.BAD_INPUT}
        for err in errors:
            assert f"--out {out} must name an Excel workbook ending in .xlsx" in err
            assert "choose another --out, such as" in err
        assert not out.exists()


def test_out_naming_a_runs_retry_file_or_journal_is_refused(tmp_path, sandbox, token):
    src = sheet(tmp_path, row("Uno"), row("Dos", skill_id="abc"))
    assert run_cli("run", src, "--base-url", sandbox.url).code == ExitCode.ROWS_NOT_CREATED
    retry = tmp_path / "campaigns.results.retry.xlsx"
    journal = tmp_path / "campaigns.results.journal.jsonl"
    kept = {p: p.read_bytes() for p in (retry, journal)}
    for out in (retry, tmp_path / "other.retry.xlsx"):
        codes, errors = _refused_out(out, sandbox, src)
        assert codes == {ExitCode.BAD_INPUT}
        for err in errors:
            assert f"--out {out} is named like a run's retry file (NAME.retry.xlsx)" in err
    codes, errors = _refused_out(journal, sandbox, src)
    assert codes == {ExitCode.BAD_INPUT}
    assert {p: p.read_bytes() for p in kept} == kept


def test_out_naming_an_unrelated_existing_file_is_refused(tmp_path, sandbox, token):
    src = sheet(tmp_path, row("Uno"))
    budget = write_xlsx(tmp_path / "budget.xlsx", [["month", "amount"], ["enero", 10]], "2026")
    noise = tmp_path / "noise.xlsx"
    noise.write_bytes(b"not a workbook at all")
    for out in (budget, noise):
        before = out.read_bytes()
        codes, errors = _refused_out(out, sandbox, src)
        assert codes == {ExitCode.BAD_INPUT}
        for err in errors:
            assert (
                f"--out {out} already exists and is not a results workbook of wolkvox-import, "
                "so it is not replaced; choose another --out, or move that file away first."
            ) in err
        assert out.read_bytes() == before
    spanish = run_cli("validate", src, "--out", budget, "--lang", "es")
    assert spanish.code == ExitCode.BAD_INPUT
    assert f"--out {budget} ya existe y no es un libro de resultados" in spanish.err


def test_out_may_replace_a_results_workbook_it_wrote(tmp_path, sandbox, token):
    src = sheet(tmp_path, row("Uno"))
    out = tmp_path / "mine.xlsx"
    assert run_cli("validate", src, "--out", out).code == ExitCode.OK
    assert run_cli("validate", src, "--out", out).code == ExitCode.OK  # its own check again
    assert run_cli("run", src, "--base-url", sandbox.url, "--out", out).code == ExitCode.OK
    assert statuses(out) == {2: "created"}


def test_out_naming_the_input_itself_is_refused(tmp_path, sandbox, token):
    src = sheet(tmp_path, row("Uno"))
    before = src.read_bytes()
    for command in (("validate",), ("run", "--base-url", sandbox.url)):
        result = run_cli(command[0], src, *command[1:], "--out", src)
        assert result.code == ExitCode.BAD_INPUT
        assert f"--out {src} is the spreadsheet being read; choose another --out." in result.err
    assert src.read_bytes() == before and sandbox.state.create_calls == 0


def test_validate_with_a_server_marks_existing_names_and_unknown_skills_sending_nothing(
    tmp_path, make_sandbox, token
):
    box = make_sandbox(existing=["Dos"], skills={"101": "Ventas", "0042": "Cobranza"})
    src = sheet(tmp_path, row("Uno"), row("Dos"), row("Tres", skill_id="42"))
    result = run_cli("validate", src, "--base-url", box.url)
    assert result.code == ExitCode.ROWS_NOT_CREATED, result.err
    assert "nearest known: 0042 (Cobranza)" in result.out
    assert "dry run, nothing sent: 1 exists, 1 invalid, 1 valid" in result.out
    check = tmp_path / "campaigns.check.xlsx"
    assert statuses(check) == {2: "valid", 3: "exists", 4: "invalid"}
    assert box.state.create_calls == 0 and sum(box.state.calls.values()) == 2
    offline = run_cli("validate", src)  # without a server: no network at all
    assert statuses(check) == {2: "valid", 3: "valid", 4: "valid"} and offline.code == 0
    assert sum(box.state.calls.values()) == 2


@pytest.mark.parametrize(
    ("header", "shown"),
    [
        ("\x1b[2J\x1b]0;PWNED\x07", "<U+001B>[2J<U+001B>]0;PWNED<U+0007>"),
        ("notas\x01", "notas<U+0001>"),
    ],
)
def test_a_header_with_control_characters_is_written_escaped_by_every_file(
    tmp_path, sandbox, token, header, shown
):
    columns = ["campaign_name", "type_campaign", "skill_id", header]
    src = write_csv(tmp_path / "c.csv", [row("A")], header=columns)
    checked = run_cli("validate", src)
    assert checked.code == ExitCode.OK, checked.err
    assert f"warning: ignored columns not used by wolkvox: {shown}" in checked.err
    sent = run_cli("run", src, "--base-url", sandbox.url)
    assert sent.code == ExitCode.OK, sent.err
    results = tmp_path / "c.results.xlsx"
    assert shown in read_results(results)[0]
    again = run_cli("report", tmp_path / "c.results.journal.jsonl")
    assert again.code == ExitCode.OK, again.err
    assert "1 created" in again.out


def test_an_xlsx_header_cell_with_an_escape_is_written_escaped(tmp_path):
    columns = ["campaign_name", "type_campaign", "skill_id", "_x001B_[2J notas"]
    cells = [columns, ["A", "preview", "101", "x"]]
    src = write_xlsx(tmp_path / "h.xlsx", cells)
    checked = run_cli("validate", src)
    assert checked.code == ExitCode.OK, checked.err
    assert "warning: ignored columns not used by wolkvox: <U+001B>[2J notas" in checked.err


def test_a_csv_whose_lines_end_in_a_carriage_return_alone_is_read(tmp_path):
    src = tmp_path / "mac.csv"  # "CSV (Macintosh)" of older Excel
    src.write_bytes(b"campaign_name,type_campaign,skill_id\rA,preview,101\rB,preview,102\r")
    result = run_cli("validate", src)
    assert result.code == ExitCode.OK, result.err
    assert "read 2 rows from CSV" in result.out
    assert "dry run, nothing sent: 2 valid" in result.out
    assert result.err == ""
