"""How the files of this folder that were made by code were made; run it from the repo root:
``python tests/files/make_files.py``. Files made by a real office program are described
in README.md beside it (LibreOffice, headless), and are converted here too when
``soffice`` is installed."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


def text(name: str, content: str, encoding: str = "utf-8", newline: str = "\n") -> None:
    (HERE / name).write_bytes(content.replace("\n", newline).encode(encoding))


def book(name: str, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    wb.save(HERE / name)


def main() -> None:
    text(
        "clean.csv",
        "campaign_name,type_campaign,skill_id,start_time,end_time\n"
        "Ventas norte,predictive,101,08:00,18:00\nRetención,preview,0042,,\n",
    )
    text(
        "semicolon-cp1252.csv",
        "campaign_name;skill_id;type_campaign\n"
        "Cobranza enero;101;preview\nRetención;0042;preview\n",
        "cp1252",
    )
    text("utf8-bom.csv", "\ufeffcampaign_name,skill_id,type_campaign\nAtención,101,preview\n")
    text(
        "utf16-tab.txt",
        "\ufeffcampaign_name\tskill_id\ttype_campaign\nAtención\t101\tpreview\n",
        "utf-16-le",
        "\r\n",
    )
    text("sep-line.csv", "sep=|\ncampaign_name|skill_id|type_campaign\nA, B y C|101|preview\n")
    text(
        "trailing-empty-columns.csv",
        "campaign_name;skill_id;type_campaign;;;\nUno;101;preview;;;\n;;;;;\nDos;102;preview;;;\n",
    )
    text(
        "quoted-newline.csv",
        "campaign_name,campaign_description,skill_id,type_campaign\n"
        'Multilínea,"línea uno\nlínea dos",101,preview\nSiguiente,,102,preview\n',
    )
    text("empty.csv", "")
    text("header-only.csv", "campaign_name,skill_id,type_campaign\n")
    text("no-skill-column.csv", "campaign_name,type_campaign\nA,preview\n")
    text("misspelt-column.csv", "campain_name,skill_id\nA,101\n")
    text(
        "extra-column.csv",
        "campaign_name,skill_id,type_campaign,notas\nA,101,preview,llamar a las 9\n",
    )
    text("csv-named.xlsx", "campaign_name,skill_id\nA,101\n")
    text("no-header.csv", "nothing,useful\n1,2\n")
    text(
        "ampm-spanish.csv",
        "campaign_name,type_campaign,skill_id,start_time,end_time\n"
        "Mañana,predictive,101,8:00 a. m.,1:30 p. m.\nTarde,predictive,101,02:00 PM,9 p.m.\n",
    )
    text(
        "invisible-spaces.csv",
        "\u00a0campaign_name\u200b,skill_id\u00a0,type_campaign\n"
        "\u00a0Cobranza\u200b diciembre\u00a0,\u00a0101,preview\n",
    )
    text(
        "nfc-duplicates.csv",
        "campaign_name,skill_id,type_campaign\n"
        "Retenci\u00f3n,101,preview\nRetencio\u0301n,102,preview\n",
    )
    text(
        "spanish-headers.csv",
        "Nombre de la campaña;Descripción;Tipo de campaña;Hora inicio;"
        "Hora fin;ID skill;Habilitar edición;Opción 1\n"
        "Cobro;Mora 30;predictiva;08:00;17:00;101;sí;lote 1\n"
        "Cobro 2;Mora 60;predictive;08:00;17:00;101;sí;lote 2\n",
        "cp1252",
    )
    text(
        "google-sheets.csv",
        "campaign_name,campaign_description,skill_id,type_campaign\n"
        '"Ventas ""premium""","Con, comas",101,preview\n',
        newline="\r\n",
    )
    text("pipe-delimited.csv", "campaign_name|skill_id|type_campaign\nA|101|preview\n")
    text(
        "latin1-nbsp.csv",
        "campaign_name;skill_id;type_campaign\nAcci\u00f3n\u00a0;101;preview\n",
        "latin-1",
    )
    text(
        "unquoted-comma.csv",
        "campaign_name,campaign_description,type_campaign,skill_id\n"
        "Cobranza,Cartera 30, 60 y 90 días,preview,101\n"
        "Ventas,Sin comas,preview,102\n",
    )
    text(
        "trailing-empty-fields.csv",
        "campaign_name,skill_id,type_campaign\nUno,101,preview,,\nDos,102,preview,,,\n",
    )
    text(
        "short-rows.csv",
        "campaign_name,skill_id,type_campaign,campaign_description\n"
        "Corta,101,preview\nCompleta,102,preview,con descripción\n",
    )
    (HERE / "binary-garbage.csv").write_bytes(bytes(range(256)) * 4)

    book(
        "title-rows.xlsx",
        {
            "Hoja1": [
                ["Campañas de diciembre"],
                [],
                ["campaign_name", "skill_id", "type_campaign"],
                ["Título arriba", 101, "preview"],
            ]
        },
    )
    header = [
        "campaign_name",
        "skill_id",
        "type_campaign",
        "start_time",
        "end_time",
        "enable_edition",
        "opt1",
    ]
    book(
        "excel-cells.xlsx",
        {
            "campaigns": [
                header,
                [
                    "Celdas Excel",
                    101.0,
                    "predictive",
                    dt.time(8, 0),
                    dt.datetime(2026, 12, 1, 18, 30),
                    True,
                    123456789012345,
                ],
                ["Fracción de día", 102, "predictive", 0.3333333333333333, 0.75, False, 1.5],
            ]
        },
    )
    book(
        "two-sheets.xlsx",
        {
            "notas": [["nada"]],
            "Campañas": [
                ["campaign_name", "skill_id", "type_campaign"],
                ["En hoja 2", "101", "preview"],
            ],
        },
    )
    book(
        "hidden-first-sheet.xlsx",
        {
            "viejo": [["campaign_name", "skill_id"], ["Oculta", "1"]],
            "Hoja2": [
                ["campaign_name", "skill_id", "type_campaign"],
                ["Visible", "101", "preview"],
            ],
        },
        hidden=("viejo",),
    )
    book(
        "excel-errors.xlsx",
        {
            "campaigns": [
                ["campaign_name", "skill_id", "type_campaign", "opt1"],
                ["Con error", "#N/A", "preview", ""],
                ["Referencia", "101", "preview", "#REF!"],
            ]
        },
    )
    book(
        "date-only.xlsx",
        {
            "campaigns": [
                ["campaign_name", "skill_id", "type_campaign", "start_time", "end_time"],
                ["Solo fecha", "101", "predictive", dt.date(2026, 12, 1), dt.time(18, 0)],
            ]
        },
    )
    book(
        "zero-padded-skill.xlsx",
        {
            "campaigns": [
                ["campaign_name", "skill_id", "type_campaign"],
                ["Ceros perdidos", 42, "preview"],
            ]
        },
    )
    from openpyxl import load_workbook

    padded = load_workbook(HERE / "zero-padded-skill.xlsx")
    padded["campaigns"]["B2"].number_format = "0000"  # Excel shows 0042
    padded.save(HERE / "zero-padded-skill.xlsx")
    data = (HERE / "excel-cells.xlsx").read_bytes()
    (HERE / "truncated.xlsx").write_bytes(data[: len(data) // 2])

    soffice = shutil.which("soffice")
    if soffice:  # the office-made files: see README.md
        source = HERE / "office-source.csv"
        text(
            "office-source.csv",
            "campaign_name,campaign_description,type_campaign,start_time,"
            "end_time,skill_id,enable_edition\n"
            "Oficina uno,Hecha en LibreOffice,predictive,08:00,18:00,0042,yes\n"
            "Oficina dos,,preview,,,101,no\n",
        )
        for target, fmt in (
            ("libreoffice.ods", "ods"),
            ("libreoffice.xls", "xls:MS Excel 97"),
            ("libreoffice.xlsx", "xlsx:Calc MS Excel 2007 XML"),
            ("libreoffice.xlsm", "xlsm:Calc MS Excel 2007 VBA XML"),
        ):
            subprocess.run(
                [
                    soffice,
                    "--headless",
                    "--infilter=CSV:44,34,76,1,1/2/2/2/3/1/4/1/5/1/6/2/7/2",
                    "--convert-to",
                    fmt,
                    "--outdir",
                    str(HERE),
                    str(source),
                ],
                check=True,
                capture_output=True,
            )
            (HERE / f"office-source.{fmt.split(':')[0]}").rename(HERE / target)
        source.unlink()


if __name__ == "__main__":
    main()
