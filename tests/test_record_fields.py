"""The records sheet's columns: the contract's keys, Spanish headers, phone columns."""

import pytest

from importer import i18n
from importer.check.columns import match_header
from importer.check.record_fields import (
    BODY_FIELDS,
    FIELDS,
    OPT_LIMITS,
    description,
    match_record_header,
    missing_columns,
    record_header_score,
)
from importer.errors import InputError
from importer.read.record_table import build_record_table
from importer.read.sheet import Sheet


def test_the_fields_are_the_contracts_record_keys_and_the_campaign():
    contract = (
        "customer_name customer_last_name id_type customer_id age gender country state city "
        "zone address " + " ".join(f"opt{i}" for i in range(1, 13)) + " "
        + " ".join(f"tel{i}" for i in range(1, 11)) + " tel_extra email recall_date "
        "recall_telephone agent_id"
    ).split()  # fmt: skip
    assert list(BODY_FIELDS) == contract
    assert FIELDS[:2] == ("campaign_name", "campaign_id")
    assert OPT_LIMITS["opt6"] == 100 and OPT_LIMITS["opt7"] == 200


def test_spanish_headers_are_understood():
    header = ["Campaña", "Nombre", "Apellidos", "Cédula", "Tipo de documento", "Teléfono",
              "Correo", "Ciudad", "Departamento", "Dirección", "Edad", "Fecha de rellamada",
              "ID campaña", "Agente", "Opción 7", "País", "Género"]  # fmt: skip
    match = match_record_header(header)
    assert match.positions == {
        "campaign_name": 0, "customer_name": 1, "customer_last_name": 2, "customer_id": 3,
        "id_type": 4, "tel1": 5, "email": 6, "city": 7, "state": 8, "address": 9, "age": 10,
        "recall_date": 11, "campaign_id": 12, "agent_id": 13, "opt7": 14, "country": 15,
        "gender": 16,
    }  # fmt: skip
    assert (match.ignored, match.misspelt, match.duplicated) == ([], [], [])
    assert match.aliases["customer_id"] == "Cédula"


def test_documento_is_the_customer_id_and_nombre_the_persons_name():
    match = match_record_header(["documento", "NOMBRE", "celular", "campaign_name"])
    assert match.positions == {
        "customer_id": 0, "customer_name": 1, "tel1": 2, "campaign_name": 3,
    }  # fmt: skip


def test_campaign_headers_keep_their_meaning_on_the_campaigns_sheet():
    # The same word means another field on each sheet: the tables are separate.
    assert match_header(["Nombre", "skill_id"]).positions == {"campaign_name": 0, "skill_id": 1}
    assert match_record_header(["Nombre", "tel1"]).positions == {"customer_name": 0, "tel1": 1}


def test_generic_phone_headers_take_the_free_phone_columns_in_order():
    match = match_record_header(["Celular", "Teléfono 2", "Fijo", "campaign_name", "Móvil"])
    assert match.positions == {"tel1": 0, "tel2": 1, "tel3": 2, "campaign_name": 3, "tel4": 4}
    assert match.aliases["tel1"] == "Celular" and match.aliases["tel3"] == "Fijo"
    assert match.mapped == {}


def test_a_mapping_comes_before_the_phone_words():
    match = match_record_header(["Celular", "Teléfono"], {"Celular": "tel2"})
    assert match.positions == {"tel2": 0, "tel1": 1}
    assert match.mapped == {"tel2": "Celular"}


def test_eleven_unnumbered_phone_columns_are_refused_rather_than_one_dropped():
    header = ["campaign_name", *(["Celular", "Fijo", "Móvil", "Teléfono", "Cel", "Tel",
                                  "Phone", "Mobile", "Telephone", "Teléfono fijo",
                                  "Teléfono celular"])]  # fmt: skip
    match = match_record_header(header)
    assert [f for f, _names in match.duplicated] == ["tel1"]


def test_misspelt_record_headers_are_flagged_with_a_guess():
    match = match_record_header(["campaing_name", "custmer_id", "tel1", "notas"])
    assert match.misspelt == [("campaing_name", "campaign_name"), ("custmer_id", "customer_id")]
    assert match.ignored == ["notas"]


def test_the_header_row_score_counts_record_fields_and_phone_words():
    assert record_header_score(["Campaña", "Nombre", "Celular"]) == 3
    assert record_header_score(["Contactos de diciembre"]) == 0


def test_a_header_without_campaign_or_phone_is_told_what_it_lacks():
    assert missing_columns(match_record_header(["Nombre", "tel2"])) == [
        "a campaign_name (or campaign_id) column"
    ]
    assert missing_columns(match_record_header(["campaign_id", "celular"])) == []
    assert missing_columns(match_record_header(["campaign_id", "recall_telephone"])) == [
        "a phone column (tel1, teléfono, celular, ...)"
    ]


def _sheet(header, *rows):
    import pandas as pd

    return Sheet([header], pd.DataFrame(list(rows), dtype=object), 'CSV (utf-8, ",")')


def test_a_sheet_lacking_a_needed_column_is_refused_in_both_languages():
    sheet = _sheet(["Nombre", "Ciudad"], ["Ana", "Cali"])
    with pytest.raises(InputError) as err:
        build_record_table("contactos.csv", sheet)
    assert str(err.value) == (
        "contactos.csv: the records need a campaign_name (or campaign_id) column and a phone "
        "column (tel1, teléfono, celular, ...) (the header is row 1: Nombre, Ciudad). Add "
        "them and run again."
    )
    with i18n.using("es"), pytest.raises(InputError) as err:
        build_record_table("contactos.csv", sheet)
    assert str(err.value).startswith("contactos.csv: los registros necesitan una columna")


def test_a_records_table_holds_only_the_columns_the_sheet_has_cleaned():
    sheet = _sheet(
        ["Campaña", "Celular", "Teléfono", "notas"],
        [" Ventas ", "300 123 4567", "", "x"],
        ["", "", "", ""],
        ["Ventas", "310\u200b765 4321", "6012345678", ""],
    )
    table = build_record_table("contactos.csv", sheet)
    assert list(table.frame.columns) == ["campaign_name", "tel1", "tel2"]
    assert table.frame.index.tolist() == [2, 4]  # the blank row is skipped, rows kept
    assert table.frame["campaign_name"].tolist() == ["Ventas", "Ventas"]
    assert table.frame["tel1"].tolist() == ["300 123 4567", "310765 4321"]
    assert table.warnings == ["ignored columns not used by wolkvox: notas"]
    assert {n.column for n in table.notes} == {"campaign_name", "tel1", "tel2"}


def test_descriptions_are_in_both_languages():
    assert description("tel3") == "Phone number 3; every record needs at least one."
    assert description("opt8") == "Optional free text, at most 200 characters."
    with i18n.using("es"):
        assert description("opt2") == "Opcional. Texto libre de hasta 100 caracteres."
        assert description("customer_id").startswith("El documento")


def test_a_records_csv_row_wider_than_its_header_is_told_as_for_campaigns(tmp_path):
    from importer.read.record_table import load_records

    path = tmp_path / "contactos.csv"
    lines = [
        "campaign_name;customer_name;tel1",
        "Cobro;Ana;3001234567",
        "Cobro;Luis; Pérez;3007654321",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table, _sheet = load_records(path)
    (first,) = table.problems
    assert (first.row, first.column) == (3, "tel1")
    assert first.message == (
        'this row has 4 fields but the header has 3, so "3007654321" is left over: a cell '
        'holds ";" without quotes, which shifts the cells after it. Put text that holds ";" '
        "in double quotes, or save the file again from Excel."
    )
