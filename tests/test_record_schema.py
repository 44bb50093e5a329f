"""Checking records: every problem at once, with sheet rows; valid records as request bodies."""

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importer import i18n
from importer.check.problems import Rule, describe
from importer.check.record_fields import BODY_FIELDS
from importer.check.record_schema import (
    RecordOptions,
    campaign_key,
    known_campaigns,
    validate_records,
)
from importer.check.records import PREDICTIVE_FIELDS, Record, batch_body, batch_json, fields_for

CAMPAIGNS = known_campaigns(
    [("Ventas", "predictiva"), ("Encuesta", "preview")],
    [{"campaign_id": "55", "campaign_name": "Cobranza", "type_campaign": "preview"}],
)


def frame(*rows, first_row=2):
    columns = list(dict.fromkeys(c for r in rows for c in r))
    data = [[r.get(c, "") for c in columns] for r in rows]
    index = pd.RangeIndex(first_row, first_row + len(rows), name="row")
    return pd.DataFrame(data, columns=columns, index=index, dtype=object)


def good(**extra):
    return {"campaign_name": "Ventas", "customer_id": "1", "tel1": "3001234567", **extra}


def check(*rows, **options):
    return validate_records(frame(*rows), RecordOptions(campaigns=CAMPAIGNS, **options))


def said(checked):
    return [(p.row, p.column, p.rule, p.message) for p in checked.problems]


def test_a_valid_record_becomes_every_key_as_text():
    checked = check(good(tel1="(300) 123-4567", recall_date="2026-12-01 10:30:00", opt3="x"))
    assert checked.problems == []
    (record,) = checked.records
    assert record.row == 2 and record.campaign == "name:ventas"
    assert record.type_campaign == "predictive"
    assert list(record.body) == list(PREDICTIVE_FIELDS)  # no agent_id for predictive
    assert all(isinstance(v, str) for v in record.body.values())
    assert record.body["tel1"] == "3001234567"
    assert record.body["recall_date"] == "20261201103000"
    assert record.body["opt3"] == "x" and record.body["email"] == ""


def test_every_problem_is_reported_at_once_with_sheet_rows():
    checked = check(
        good(tel1="123", email="ana.example.com", age="3a", opt1="x" * 101),
        good(customer_id="2", campaign_name="Otra"),
        good(customer_id="3", tel1="", recall_date="10:00"),
        good(customer_id="4", campaign_name="", agent_id="7", recall_date="2026-13-01 10:00"),
        good(customer_id="5", opt7="y" * 201),
    )
    assert said(checked) == [
        (2, "age", Rule.AGE_DIGITS, 'age must be digits only: "a" at position 2 is not a digit'),
        (2, "opt1", Rule.OPT_TOO_LONG,
         "opt1 has 101 characters; wolkvox takes at most 100. Shorten it."),
        (2, "tel1", Rule.PHONE_NUMBER,
         "3 digits are not the length of a phone number of CO (8, 10 or 11 digits, e.g. "
         "3211234567); check for a missing or extra digit"),
        (2, "email", Rule.EMAIL_FORMAT, "not an e-mail address; write it like ana@example.com"),
        (3, "campaign_name", Rule.CAMPAIGN_UNKNOWN,
         "no campaign named Otra in the campaigns sheet or in wolkvox; write the name as the "
         "campaign has it, or its campaign_id"),
        (4, "tel1", Rule.PHONE_REQUIRED,
         "the record has no phone number: fill in tel1 (or another phone column)"),
        (4, "recall_date", Rule.RECALL_DATE_FORMAT,
         "recall_date: a time without a date; write both, e.g. 2026-12-01 10:00"),
        (5, "campaign_name", Rule.CAMPAIGN_REQUIRED,
         "the record names no campaign: fill in campaign_name (or campaign_id)"),
        (5, "recall_date", Rule.RECALL_DATE_FORMAT,
         "recall_date: not a valid date; write it like 01/12/2026 or 2026-12-01"),
        (6, "opt7", Rule.OPT_TOO_LONG,
         "opt7 has 201 characters; wolkvox takes at most 200. Shorten it."),
    ]  # fmt: skip
    assert list(checked.records) == []
    assert sorted(checked.invalid) == [2, 3, 4, 5, 6]


def test_invalid_records_do_not_stop_valid_ones():
    checked = check(good(), good(customer_id="2", tel1="12"), good(customer_id="3"))
    assert [r.row for r in checked.records] == [2, 4]
    assert list(checked.invalid) == [3]


def test_the_campaign_is_named_by_id_or_by_name_like_campaign_names():
    checked = check(
        good(campaign_name="  VENTAS\u200b"),
        good(customer_id="2", campaign_name="", campaign_id="55"),
        good(customer_id="3", campaign_name="cobranza"),
        good(customer_id="4", campaign_name="", campaign_id="56"),
    )
    assert [(r.row, r.campaign, r.type_campaign) for r in checked.records] == [
        (2, "name:ventas", "predictive"), (3, "id:55", "preview"), (4, "name:cobranza", "preview"),
    ]  # fmt: skip
    assert said(checked) == [
        (5, "campaign_id", Rule.CAMPAIGN_UNKNOWN,
         "no campaign with campaign_id 56 in the operation's campaign list; check the id in "
         "wolkvox manager"),
    ]  # fmt: skip


def test_a_record_for_an_invalid_campaign_row_points_at_that_row():
    options = {"invalid_campaigns": {campaign_key(name="Rota"): 7}}
    checked = check(good(campaign_name="Rota"), **options)
    assert said(checked) == [
        (2, "campaign_name", Rule.CAMPAIGN_UNKNOWN,
         "the campaign Rota is on row 7 of the campaigns sheet, which has problems: fix that "
         "row first"),
    ]  # fmt: skip


def test_agent_id_only_on_preview_campaigns_and_sent_only_there():
    checked = check(
        good(campaign_name="Encuesta", agent_id="1001"),
        good(customer_id="2", agent_id="1001"),
    )
    assert said(checked) == [
        (3, "agent_id", Rule.AGENT_NOT_PREVIEW,
         "agent_id is for preview campaigns only, and this record's campaign is predictive: "
         "empty the cell, or load the record into a preview campaign"),
    ]  # fmt: skip
    (record,) = checked.records
    assert record.body["agent_id"] == "1001"
    assert list(record.body) == list(fields_for("preview"))


def test_a_customer_id_twice_in_one_campaign_names_the_other_row():
    checked = check(
        good(),
        good(campaign_name="Encuesta"),  # the same person in another campaign is fine
        good(campaign_name="ventas"),
        good(customer_id=""),
        good(customer_id=""),  # no id: nothing to compare
    )
    assert said(checked) == [
        (2, "customer_id", Rule.DUPLICATE_CUSTOMER,
         "same customer_id as row 4 in the same campaign: the person would be dialled twice. "
         "Keep one of the rows."),
        (4, "customer_id", Rule.DUPLICATE_CUSTOMER,
         "same customer_id as row 2 in the same campaign: the person would be dialled twice. "
         "Keep one of the rows."),
    ]  # fmt: skip


def test_every_phone_column_is_checked_and_sent_in_the_chosen_format():
    checked = check(
        good(tel1="", tel2="+57 300 123 4567", tel_extra="601 234 5678",
             recall_telephone="310 765 4321"),
        good(customer_id="2", tel10="12345"),
        phone_format="e164",
    )  # fmt: skip
    (record,) = checked.records
    assert (record.body["tel1"], record.body["tel2"]) == ("", "573001234567")
    assert record.body["tel_extra"] == "576012345678"
    assert record.body["recall_telephone"] == "573107654321"
    assert [(p.row, p.column, p.rule) for p in checked.problems] == [
        (3, "tel10", Rule.PHONE_NUMBER)
    ]


def test_only_the_recall_phone_is_not_a_phone_to_dial():
    checked = check(good(tel1="", recall_telephone="3001234567"))
    assert [(p.column, p.rule) for p in checked.problems] == [("tel1", Rule.PHONE_REQUIRED)]


def test_excel_errors_and_unstorable_characters_are_problems_like_on_campaigns():
    checked = check(good(customer_name="#N/A"), good(customer_id="2", city="Cali\x01"))
    assert [(p.row, p.column, p.rule) for p in checked.problems] == [
        (2, "customer_name", Rule.EXCEL_ERROR), (3, "city", Rule.UNSTORABLE_CHARACTER),
    ]  # fmt: skip


def test_problems_from_reading_make_their_rows_invalid():
    from importer.check.problems import Problem

    extra = [Problem(3, "tel1", "x", "shifted", Rule.EXTRA_FIELDS)]
    checked = validate_records(
        frame(good(), good(customer_id="2")), RecordOptions(campaigns=CAMPAIGNS), extra
    )
    assert [r.row for r in checked.records] == [2]
    assert checked.problems == extra


@pytest.mark.parametrize(
    "email",
    ["ana@example.com", "ana.maria+crm@correo.example.co", "josé@dominio.com.co", "a_b@x-y.org"],
)
def test_usual_addresses_pass(email):
    assert check(good(email=email)).problems == []


@pytest.mark.parametrize(
    "email",
    ["ana.example.com", "ana@example", "ana @example.com", "ana@@example.com", ".ana@x.com",
     "ana.@x.com", "ana..b@x.com", "ana@x..com", "ana@-x.com", "ana@x.c", "ana@x.com,",
     "ana@x.123"],
)  # fmt: skip
def test_common_mistakes_in_addresses_are_problems(email):
    assert [p.rule for p in check(good(email=email)).problems] == [Rule.EMAIL_FORMAT]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["ana@example.com", "", ".a@x.com", "a..b@x.com", "a@x.c",
                                 "x" * 250 + "@x.com", "a@x.com\n", "josé@dominio.co"])
                | st.text(max_size=12), max_size=6))  # fmt: skip
def test_a_column_of_addresses_is_judged_as_each_address_alone(cells):
    from importer.check.record_schema import _email_ok, _emails_ok

    column = pd.Series(cells, dtype=object)
    assert _emails_ok(column).tolist() == [_email_ok(c) for c in cells]


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(["preview", "predictive"]),
                          st.lists(st.text(max_size=6), min_size=len(BODY_FIELDS),
                                   max_size=len(BODY_FIELDS))), max_size=4))  # fmt: skip
def test_a_batch_is_sent_as_json_would_write_its_records(drawn):
    kind = drawn[0][0] if drawn else "preview"
    batch = [Record(i, "id:7", kind, tuple(values)) for i, (_k, values) in enumerate(drawn)]
    assert batch_json(batch) == json.dumps(batch_body(batch), ensure_ascii=False)


def test_messages_and_rule_descriptions_are_in_spanish_too():
    with i18n.using("es"):
        checked = check(good(tel1="", email="x"), good(customer_id="2", campaign_name="Otra"))
        messages = [p.message for p in checked.problems]
        assert messages == [
            "el registro no tiene número de teléfono: llene tel1 (u otra columna de teléfono)",
            "no es una dirección de correo electrónico; escríbala como ana@example.com",
            "no hay una campaña llamada Otra en la hoja de campañas ni en wolkvox; escriba el "
            "nombre como lo tiene la campaña, o su campaign_id",
        ]
        assert describe(Rule.DUPLICATE_CUSTOMER) == (
            "customer_id aparece más de una vez en una campaña"
        )


_RECORD_RULES = {
    "campaign_required", "campaign_unknown", "phone_number", "phone_required", "opt_too_long",
    "recall_date_format", "email_format", "age_digits", "agent_not_preview", "duplicate_customer",
    "campaign_two_ways",
}  # fmt: skip


def test_every_record_rule_has_a_description_in_both_languages():
    for rule in _RECORD_RULES:
        english = describe(rule)
        assert english != rule
        with i18n.using("es"):
            assert describe(rule) not in (rule, english)


def test_a_batch_is_a_json_list_of_string_objects_for_one_campaign():
    checked = check(good(), good(customer_id="2", customer_name="José"))
    body = batch_body(list(checked.records))
    assert json.loads(batch_json(list(checked.records))) == body
    assert [b["customer_name"] for b in body] == ["", "José"]
    assert "José" in batch_json(list(checked.records))  # UTF-8 as written, not \\u escapes
    other = Record(9, "name:encuesta", "preview", tuple("" for _ in fields_for("preview")))
    with pytest.raises(ValueError, match="one campaign"):
        batch_body([checked.records[0], other])


def test_records_come_in_batches_per_campaign_in_sheet_order():
    checked = check(*(good(customer_id=str(i), campaign_name=("Ventas", "Encuesta")[i % 2])
                      for i in range(7)))  # fmt: skip
    records = checked.records
    assert set(records.by_campaign()) == {"name:ventas", "name:encuesta"}
    sizes = [[r.row for r in b] for b in records.batches("name:ventas", 3)]
    assert sizes == [[2, 4, 6], [8]]


TEXT = st.text(max_size=12) | st.sampled_from(["3001234567", "", "#N/A", "2026-12-01 10:00"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({
    "campaign_name": st.sampled_from(["Ventas", "Encuesta", "", "Otra"]),
    "customer_id": st.sampled_from(["1", "2", ""]),
    "tel1": TEXT, "tel2": TEXT, "email": TEXT, "age": TEXT, "recall_date": TEXT,
    "agent_id": TEXT, "opt1": TEXT,
}), min_size=1, max_size=6))  # fmt: skip
def test_any_cells_give_problems_as_data_and_every_row_an_outcome(rows):
    checked = check(*rows)
    valid = {r.row for r in checked.records}
    assert valid.isdisjoint(checked.invalid)
    assert valid | set(checked.invalid) == set(range(2, 2 + len(rows)))
    for record in checked.records:
        assert all(isinstance(v, str) for v in record.body.values())
        assert record.body["tel1"] or record.body["tel2"]


def test_a_cell_longer_than_a_spreadsheet_cell_is_a_problem_like_on_campaigns():
    checked = check(good(), good(customer_id="2", city="x" * 32_768), good(customer_id="3",
                    city="y" * 32_767))  # fmt: skip
    assert [(p.row, p.column, p.rule) for p in checked.problems] == [
        (3, "city", Rule.CELL_TOO_LONG),
    ]
    assert "32,768 characters, more than a spreadsheet cell can hold (32,767)" in (
        checked.problems[0].message
    )
    assert set(checked.invalid) == {3}
