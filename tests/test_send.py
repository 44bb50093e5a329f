from pathlib import Path

import pytest

from importer.client import Answer
from importer.errors import ApiStopped
from importer.journal import Journal, read
from importer.schema import Campaign
from importer.send import Clock, Policy, Sender, StopFlag, reconcile, skip_existing


class FakeClock(Clock):
    def __init__(self) -> None:
        self.t = 1000.0
        super().__init__(now=lambda: self.t, sleep=self._sleep)
        self.slept: list[float] = []

    def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


class ScriptedClient:
    """Answers from a script, per campaign name; checks the journal before each call."""

    def __init__(
        self,
        journal_path: Path,
        script: dict[str, list[Answer]] | None = None,
        listed: list[dict] | Exception | None = None,
    ) -> None:
        self.journal_path = journal_path
        self.script = script or {}
        self.calls: list[str] = []
        self.listed = listed if listed is not None else []

    def create_campaign(self, type_campaign: str, body_json: str) -> Answer:
        import json

        name = json.loads(body_json)["campaign_name"]
        row = int(name.split()[-1])
        state = read(self.journal_path)
        assert row in state.attempted_at and row not in state.outcomes, "attempt not on disk"
        self.calls.append(name)
        queued = self.script.get(name)
        if queued:
            return queued.pop(0)
        return Answer("created", "ok", id_campaign=str(row * 10))

    def list_campaigns(self):
        if isinstance(self.listed, Exception):
            raise self.listed
        return self.listed


def campaigns(*rows: int) -> list[Campaign]:
    return [Campaign.from_body(r, "preview", {"campaign_name": f"row {r}"}) for r in rows]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def journal(tmp_path, clock):
    j = Journal.start(tmp_path / "j.jsonl", hashes={}, info={}, now=clock.now)
    yield j
    j.close()


def sender(journal, clock, script=None, **policy):
    client = ScriptedClient(journal.path, script)
    return Sender(client, journal, clock, policy=Policy(**policy)), client


def status(journal):
    return {r: o.status for r, o in journal.state.outcomes.items()}


def test_rows_go_one_after_another_each_journaled_before_sending(journal, clock):
    s, client = sender(journal, clock)
    assert s.send(campaigns(2, 3, 4)) == "done"
    assert client.calls == ["row 2", "row 3", "row 4"]
    assert status(journal) == {2: "created", 3: "created", 4: "created"}
    assert journal.state.outcomes[3].id_campaign == "30"


def test_busy_token_retries_the_same_row_with_growing_pauses(journal, clock):
    busy = Answer("retry", "busy", reason="busy")
    s, client = sender(journal, clock, {"row 2": [busy, busy]}, first_delay=2)
    assert s.send(campaigns(2, 3)) == "done"
    assert client.calls == ["row 2", "row 2", "row 2", "row 3"]
    assert status(journal) == {2: "created", 3: "created"}
    assert sum(clock.slept) > 2  # two pauses, the second about twice the first


def test_busy_past_the_bound_stops_the_run_and_the_row_stays_sendable(journal, clock):
    busy = Answer("retry", "busy", reason="busy")
    s, client = sender(journal, clock, {"row 2": [busy] * 50}, retry_for=10, first_delay=2)
    assert s.send(campaigns(2, 3)) == "busy"
    assert client.calls.count("row 3") == 0
    assert status(journal) == {2: "not_sent"}
    assert journal.state.sendable(2) and journal.state.sendable(3)
    assert journal.state.stop_reason == "busy"


def test_quota_stops_the_run_and_keeps_the_rest_unsent(journal, clock):
    quota = Answer("stop", "quota used up", reason="quota")
    s, client = sender(journal, clock, {"row 3": [quota]})
    assert s.send(campaigns(2, 3, 4)) == "quota"
    assert client.calls == ["row 2", "row 3"]
    assert status(journal) == {2: "created", 3: "not_sent"}
    assert journal.state.stop_message.startswith("not sent: the run stopped (quota used up)")


def test_unknown_outcome_is_never_sent_again(journal, clock):
    s, client = sender(journal, clock, {"row 2": [Answer("unknown", "timeout")]})
    assert s.send(campaigns(2, 3)) == "done"
    assert client.calls == ["row 2", "row 3"]
    assert journal.state.in_flight() == [2]
    assert not journal.state.sendable(2)


def test_max_failures_counts_only_failures_in_a_row(journal, clock):
    failed = Answer("failed", "400")
    script = {f"row {r}": [failed] for r in (2, 3, 5, 6, 7)}
    s, client = sender(journal, clock, script, max_failures=3)
    assert s.send(campaigns(2, 3, 4, 5, 6, 7, 8)) == "max_failures"
    assert client.calls == ["row 2", "row 3", "row 4", "row 5", "row 6", "row 7"]
    assert journal.state.stop_message == "not sent: the run stopped after 3 failed rows in a row"


def test_stop_flag_lets_the_current_row_finish_then_stops(journal, clock):
    stop = StopFlag()
    client = ScriptedClient(journal.path)
    s = Sender(client, journal, clock, stop=stop, on_row=lambda row, status: stop.set())
    assert s.send(campaigns(2, 3)) == "interrupted"
    assert client.calls == ["row 2"]
    assert status(journal) == {2: "created"}


def test_reconcile_waits_then_settles_unknown_rows_by_name(journal, clock):
    journal.attempt(2)
    journal.attempt(3)
    listed = [{"campaign_id": "555", "campaign_name": "ROW 2 "}]
    client = ScriptedClient(journal.path, listed=listed)
    reconcile({2: "row 2", 3: "row 3"}, client, journal, clock, after=60)
    assert sum(clock.slept) == pytest.approx(60)
    assert journal.state.outcomes[2].status == "created"
    assert journal.state.outcomes[2].id_campaign == "555"
    assert journal.state.outcomes[3].status == "failed"
    assert "safe to send again" in journal.state.outcomes[3].message


def test_reconcile_without_the_list_leaves_rows_unknown(journal, clock):
    journal.attempt(2)
    client = ScriptedClient(journal.path, listed=ApiStopped("HTTP 403"))
    reconcile({2: "row 2"}, client, journal, clock, after=0)
    outcome = journal.state.outcomes[2]
    assert outcome.status == "unknown"
    assert "look for it in wolkvox manager before sending it again" in outcome.message


def test_existing_names_are_marked_and_not_sent(journal, clock):
    client = ScriptedClient(journal.path, listed=[{"campaign_id": "9", "campaign_name": "Row 3"}])
    remaining = skip_existing(campaigns(2, 3), client, journal)
    assert [c.row for c in remaining] == [2]
    assert journal.state.outcomes[3].status == "exists"
    assert journal.state.outcomes[3].id_campaign == "9"
