"""``run --check-quota``: calls left today against the calls the run needs."""

from __future__ import annotations

from importer.sandbox.sandbox_core import Call

from .conftest import row, run_cli, write_csv


def test_check_quota_shows_calls_left_against_the_runs_needs_and_sends_nothing(
    tmp_path, make_sandbox, monkeypatch
):
    monkeypatch.setenv("WOLKVOX_TOKEN", "sandbox-token")
    box = make_sandbox(quota=10)
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos"), row("Tres", skill_id="x")])
    done = run_cli("run", src, "--base-url", box.url, "--check-quota", "--lang", "en")
    assert done.code == 0, done.err
    assert (
        "calls left today: 9 of 10 (1 used, this check included: reading token_info uses one call)"
    ) in done.out
    assert (
        "this run needs 4 calls: 2 rows to send and the skills list and the campaign list, "
        "read once each"
    ) in done.out
    assert "enough for today; nothing was sent." in done.out
    assert box.state.calls[Call.TOKEN_INFO] == 1 and sum(box.state.calls.values()) == 1
    assert not list(tmp_path.glob("*.results*"))


def test_check_quota_says_when_the_day_is_short_of_calls(tmp_path, make_sandbox, monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", "sandbox-token")
    box = make_sandbox(quota=4)
    src = write_csv(tmp_path / "c.csv", [row(f"C{i}") for i in range(5)])
    done = run_cli("run", src, "--base-url", box.url, "--check-quota", "--lang", "es")
    assert done.code == 1, done.err
    assert "llamadas que quedan hoy: 3 de 4" in done.out
    assert "no alcanza para hoy: faltan 4 llamadas" in done.out
    assert box.state.create_calls == 0


def test_check_quota_with_a_wrong_token_says_so(tmp_path, make_sandbox, monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", "not-it")
    box = make_sandbox()
    src = write_csv(tmp_path / "c.csv", [row("Uno")])
    done = run_cli("run", src, "--base-url", box.url, "--check-quota", "--lang", "en")
    assert done.code == 3
    assert "the token's use could not be read: wolkvox did not accept the token" in done.err
    assert "not-it" not in done.err + done.out


def test_check_quota_counts_the_records_batches_and_starts(tmp_path, make_sandbox, monkeypatch):
    from .test_launch import _campaign, _people, write_launch

    monkeypatch.setenv("WOLKVOX_TOKEN", "sandbox-token")
    box = make_sandbox(quota=1000)
    people = [*_people("A", 1, 5), *_people("B", 6, 2)]
    src = write_launch(tmp_path / "l.xlsx", [_campaign("A"), _campaign("B", "preview")], people)
    args = ("run", src, "--base-url", box.url, "--check-quota", "--lang", "en")
    done = run_cli(*args, "--batch-size", "2", "--start")
    assert done.code == 0, done.err
    # A: 3 batches of 2 and a start (predictive); B: 1 batch, no start (preview)
    assert (
        "this run needs 9 calls: 2 rows to send, 5 for the records (their batches, and the "
        "starts asked for) and the skills list and the campaign list, read once each"
    ) in done.out, done.out
    assert sum(box.state.calls.values()) == 1


def test_check_quota_of_records_only_counts_a_start_for_each_campaign_it_may_start(
    tmp_path, make_sandbox, monkeypatch
):
    """Without the campaign list the type of a campaign named by id is not known: the
    estimate counts its start, so that it never says enough when it is not."""
    monkeypatch.setenv("WOLKVOX_TOKEN", "sandbox-token")
    box = make_sandbox(quota=1000, existing=["P1", "P2"])
    ids = [c["campaign_id"] for c in box.state.campaigns]
    lines = ["campaign_id,customer_name,tel1"]
    lines += [f"{ids[n % 2]},Persona {n},300123456{n}" for n in range(4)]
    records = tmp_path / "r.csv"
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ("run", "--records", records, "--base-url", box.url, "--check-quota", "--lang", "en")
    done = run_cli(*args, "--batch-size", "1", "--start")
    assert done.code == 0, done.err
    # 4 batches of 1, and up to 2 starts
    assert "this run needs 8 calls: 0 rows to send, 6 for the records" in done.out, done.out
