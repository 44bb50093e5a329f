"""The Send step's quota check: ``token_info`` read once, against the calls the run needs."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from importer import i18n
from importer.i18n import _
from importer.sandbox.sandbox_core import Call
from importer.sandbox.server import DEMO_SKILLS, Config, Sandbox
from importer.web.wording import PAGE_WORDS

from .conftest import row, write_csv
from .test_web import page_for

TOKEN = "tkn-quota-5512"

WORDS = {
    "en": (
        "Check the calls left today (uses one call)",
        "calls left today: 9 of 10 (1 used, this check included: reading token_info uses one call)",
        "this run needs 4 calls: 3 rows to send and the campaign list, read once",
        "enough for today; nothing was sent.",
    ),
    "es": (
        "Consultar las llamadas que quedan hoy (usa una llamada)",
        "llamadas que quedan hoy: 9 de 10 (1 usadas, esta consulta incluida: leer token_info "
        "usa una llamada)",
        "este envío necesita 4 llamadas: 3 filas por enviar y la lista de campañas, leída una vez",
        "alcanza para hoy; no se envió nada.",
    ),
}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_quota_button_shows_the_calls_left_against_the_runs_needs_with_one_call(tmp_path, lang):
    with (
        Sandbox(Config(tokens=frozenset({TOKEN}), skills=DEMO_SKILLS, quota=10)) as box,
        page_for(tmp_path / "work", simulate=False, base_url=box.url, language=lang) as page,
    ):
        page.upload(write_csv(tmp_path / "q.csv", [row("Uno"), row("Dos"), row("Tres")]))
        button, left, needs, enough = WORDS[lang]
        assert button in html.unescape(page.get("/send").text)
        before = box.state.calls[Call.TOKEN_INFO]
        told = page.post("/quota", {"token": TOKEN})
        assert told.status_code == 200 and told.url.path == "/quota"
        text = html.unescape(told.text)
        assert left in text and needs in text and enough in text
        assert TOKEN not in text
        assert box.state.calls[Call.TOKEN_INFO] == before + 1
        assert box.state.create_calls == 0
        assert 'data-testid="send"' in text  # still on Send, ready to send


def test_the_quota_button_counts_the_batches_of_records_and_the_starts(tmp_path):
    sample = Path(__file__).parent.parent / "sample_data" / "lanzamiento.xlsx"
    with (
        Sandbox(Config(tokens=frozenset({TOKEN}), skills=DEMO_SKILLS, quota=8)) as box,
        page_for(tmp_path / "work", simulate=False, base_url=box.url) as page,
    ):
        page.upload(sample)
        text = html.unescape(page.post("/quota", {"token": TOKEN}).text)
        # 3 campaigns, 3 batches (8 valid records in 3 campaigns), 2 starts, the list
        assert (
            "this run needs 9 calls: 3 rows to send, 5 for the records (their batches, and "
            "the starts asked for) and the campaign list, read once"
        ) in text, text
        assert "not enough for today: 2 calls short." in text
        assert box.state.create_calls == 0


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_quota_button_with_a_wrong_token_says_what_send_says(tmp_path, lang):
    with (
        Sandbox(Config(tokens=frozenset({TOKEN}), skills=DEMO_SKILLS, quota=10)) as box,
        page_for(tmp_path / "work", simulate=False, base_url=box.url, language=lang) as page,
    ):
        page.upload(write_csv(tmp_path / "q.csv", [row("Uno")]))
        told = page.post("/quota", {"token": "not-the-token"})
        assert told.status_code == 400
        text = html.unescape(told.text)
        with i18n.using(lang):
            sentence = _(PAGE_WORDS[next(k for k in PAGE_WORDS if k.startswith("wolkvox did"))])
        assert sentence in text and "PLEASE VALIDATE TOKEN" in text
        assert "not-the-token" not in text
        assert 'data-testid="quota"' not in text
        assert box.state.create_calls == 0


def test_the_quota_button_in_a_simulation_asks_the_stand_in_server(tmp_path):
    box = Sandbox(Config(skills=DEMO_SKILLS)).start()
    try:
        with page_for(tmp_path / "work", sandbox=box) as page:
            page.upload(write_csv(tmp_path / "q.csv", [row("Uno")]))
            told = page.post("/quota", {})
            assert told.status_code == 200
            assert "this run needs 2 calls: 1 row to send" in html.unescape(told.text)
            assert box.state.calls[Call.TOKEN_INFO] == 1
    finally:
        box.stop()
