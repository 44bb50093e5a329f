from pathlib import Path

import pytest

from importer.check.schema import Campaign
from importer.errors import ApiStopped
from importer.send.client import Answer
from importer.send.journal import Journal, read
from importer.send.sender import (
    Clock,
    Policy,
    Sender,
    StopFlag,
    index_by_name,
    settle,
    skip_existing,
)


class MiddleRandom:
    """Jitter at the middle of its range: a pause is exactly its nominal length."""

    def random(self) -> float:
        return 0.5


class FakeClock(Clock):
    def __init__(self) -> None:
        self.t = 1000.0
        super().__init__(now=lambda: self.t, sleep=self._sleep, rng=MiddleRandom())
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
    assert sum(clock.slept) == pytest.approx(2 + 4)  # the second pause twice the first


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
    assert journal.state.unsettled() == [2]
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


def test_settle_waits_then_settles_unknown_rows_by_name(journal, clock):
    journal.attempt(2)
    journal.attempt(3)
    listed = [{"campaign_id": "555", "campaign_name": "ROW 2 "}]
    client = ScriptedClient(journal.path, listed=listed)
    settle({2: "row 2", 3: "row 3"}, client, journal, clock, after=60, before={})
    assert sum(clock.slept) == pytest.approx(60)
    assert journal.state.outcomes[2].status == "created"
    assert journal.state.outcomes[2].id_campaign == "555"
    assert journal.state.outcomes[3].status == "failed"
    assert "safe to send again" in journal.state.outcomes[3].message


def test_settle_without_the_list_leaves_rows_unknown(journal, clock):
    journal.attempt(2)
    client = ScriptedClient(journal.path, listed=ApiStopped("HTTP 403"))
    settle({2: "row 2"}, client, journal, clock, after=0, before={})
    outcome = journal.state.outcomes[2]
    assert outcome.status == "unknown"
    assert "look for it in wolkvox manager before sending it again" in outcome.message


def test_a_campaign_from_before_the_run_is_not_taken_for_this_rows(journal, clock):
    journal.attempt(2)
    listed = [{"campaign_id": "7", "campaign_name": "row 2"}]
    client = ScriptedClient(journal.path, listed=listed)
    settle({2: "row 2"}, client, journal, clock, after=0, before={"row 2": ["7"]})
    assert journal.state.outcomes[2].status == "failed"


def test_without_the_list_from_before_an_existing_name_stays_unknown(journal, clock):
    journal.attempt(2)
    client = ScriptedClient(journal.path, listed=[{"campaign_id": "7", "campaign_name": "row 2"}])
    settle({2: "row 2"}, client, journal, clock, after=0, before=None)
    outcome = journal.state.outcomes[2]
    assert outcome.status == "unknown"
    assert "may be one from before the run" in outcome.message


def test_a_created_row_without_id_gets_it_from_the_list_once(journal, clock):
    journal.attempt(2)
    journal.outcome(2, "created", "", "created, no id")
    journal.attempt(3)
    journal.outcome(3, "created", "", "created, no id")
    listed = [
        {"campaign_id": "5", "campaign_name": "row 2"},
        {"campaign_id": "8", "campaign_name": "row 3"},
        {"campaign_id": "9", "campaign_name": "row 3"},
    ]
    client = ScriptedClient(journal.path, listed=listed)
    settle({2: "row 2", 3: "row 3"}, client, journal, clock, after=60, before={})
    assert clock.slept == []  # nothing unclear: no wait before reading the list
    assert journal.state.outcomes[2].id_campaign == "5"
    assert "its id comes from the campaign list" in journal.state.outcomes[2].message
    assert journal.state.outcomes[3].status == "created"
    assert journal.state.outcomes[3].id_campaign == ""
    assert "shows 2 campaigns with this name (ids 8, 9)" in journal.state.outcomes[3].message


def test_unclear_answers_in_a_row_stop_the_run_and_the_rest_stays_unsent(journal, clock):
    unclear = Answer("unknown", "timeout")
    script = {f"row {r}": [unclear] for r in (2, 3, 4)}
    s, client = sender(journal, clock, script, max_unknown=3)
    assert s.send(campaigns(2, 3, 4, 5, 6)) == "max_unknown"
    assert client.calls == ["row 2", "row 3", "row 4"]
    assert journal.state.sendable(5) and journal.state.sendable(6)
    assert "after 3 unclear answers in a row" in journal.state.stop_message


def test_one_clear_answer_resets_the_count_of_unclear_ones(journal, clock):
    unclear = Answer("unknown", "timeout")
    script = {f"row {r}": [unclear] for r in (2, 3, 5, 6)}
    s, _client = sender(journal, clock, script, max_unknown=3)
    assert s.send(campaigns(2, 3, 4, 5, 6, 7)) == "done"


def test_existing_names_are_marked_and_not_sent(journal, clock):
    listing = index_by_name([{"campaign_id": "9", "campaign_name": "Row 3"}])
    remaining = skip_existing(campaigns(2, 3), listing, journal)
    assert [c.row for c in remaining] == [2]
    assert journal.state.outcomes[3].status == "exists"
    assert journal.state.outcomes[3].id_campaign == "9"


def test_a_resume_records_rows_the_list_proves_absent_as_still_to_send(journal, clock):
    journal.attempt(2)
    journal.attempt(3)
    listed = [{"campaign_id": "555", "campaign_name": "row 2"}]
    client = ScriptedClient(journal.path, listed=listed)
    settled = settle(
        {2: "row 2", 3: "row 3"}, client, journal, clock, after=60, before={}, resending=True
    )
    assert sum(clock.slept) == pytest.approx(60)  # the server's time for the call first
    assert settled.absent == [3] and settled.listing == {"row 2": ["555"]}
    assert status(journal) == {2: "created", 3: "not_sent"}
    assert journal.state.sendable(3) and not journal.state.sendable(2)
    assert "the request never reached wolkvox" in journal.state.outcomes[3].message


def test_a_list_that_cannot_be_read_proves_nothing_absent(journal, clock):
    journal.attempt(2)
    client = ScriptedClient(journal.path, listed=ApiStopped("HTTP 403"))
    settled = settle({2: "row 2"}, client, journal, clock, after=60, before={}, resending=True)
    assert settled.absent == [] and settled.listing is None
    assert status(journal) == {2: "unknown"} and not journal.state.sendable(2)


class ListingClient(ScriptedClient):
    """A campaign list that answers each read with the next of ``reads`` (an exception
    is raised), then with its list."""

    def __init__(self, journal_path: Path, reads: list[Exception], listed: list[dict]) -> None:
        super().__init__(journal_path, listed=listed)
        self.reads = reads
        self.list_calls = 0

    def list_campaigns(self):
        self.list_calls += 1
        if self.reads:
            raise self.reads.pop(0)
        return self.listed


def _busy_list() -> Exception:
    from importer.send.client import ListRefused

    return ListRefused(
        "the campaign list could not be read: busy", Answer("retry", "busy", reason="busy")
    )


def _maintenance_list() -> Exception:
    from importer.send.client import ListRefused

    answer = Answer("retry", "maintenance", reason="maintenance")
    return ListRefused("the campaign list could not be read: maintenance", answer)


def test_a_busy_or_maintenance_list_is_read_again_with_growing_pauses(journal, clock):
    from importer.send.sender import read_list

    listed = [{"campaign_id": "5", "campaign_name": "row 2"}]
    client = ListingClient(journal.path, [_busy_list(), _maintenance_list()], listed)
    assert read_list(client, clock, Policy(first_delay=2)) == listed
    assert client.list_calls == 3 and sum(clock.slept) == pytest.approx(2 + 4)


def test_a_list_busy_past_retry_for_gives_up_saying_how_long_it_waited(journal, clock):
    from importer.send.client import ListRefused
    from importer.send.sender import read_list

    client = ListingClient(journal.path, [_busy_list() for _ in range(50)], [])
    with pytest.raises(ListRefused) as refused:
        read_list(client, clock, Policy(first_delay=2, retry_for=10))
    assert sum(clock.slept) == pytest.approx(2 + 4)  # the next pause (8) would pass 10 s
    assert refused.value.answer.reason == "busy"
    assert refused.value.answer.message == "busy; still so after 6 s of retries (--retry-for 10)"
    assert str(refused.value) == (
        "the campaign list could not be read: busy; still so after 6 s of retries (--retry-for 10)"
    )


def test_a_refused_token_on_the_list_is_not_read_again(journal, clock):
    from importer.send.client import ListRefused
    from importer.send.sender import read_list

    refused = ListRefused("no", Answer("stop", "token", reason="token"))
    client = ListingClient(journal.path, [refused], [])
    with pytest.raises(ListRefused):
        read_list(client, clock, Policy())
    assert client.list_calls == 1 and clock.slept == []


def test_settling_waits_out_a_busy_list_instead_of_leaving_rows_unknown(journal, clock):
    journal.attempt(2)
    listed = [{"campaign_id": "555", "campaign_name": "row 2"}]
    client = ListingClient(journal.path, [_busy_list(), _maintenance_list()], listed)
    settle({2: "row 2"}, client, journal, clock, after=0, before={}, policy=Policy(first_delay=2))
    assert journal.state.outcomes[2].status == "created"
    assert journal.state.outcomes[2].id_campaign == "555"


def test_a_list_that_cannot_be_read_while_settling_is_said_in_one_sentence(journal, clock):
    journal.attempt(2)
    unreadable = ApiStopped("the campaign list could not be read: HTTP 500", why="HTTP 500")
    client = ScriptedClient(journal.path, listed=unreadable)
    settle({2: "row 2"}, client, journal, clock, after=0, before={})
    message = journal.state.outcomes[2].message
    assert message == (
        "sent, but the answer was unclear, and the campaign list that would tell whether it "
        "was created could not be read (HTTP 500); look for it in wolkvox manager before "
        "sending it again"
    )
    assert message.count("campaign list") == 1
