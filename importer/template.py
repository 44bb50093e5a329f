"""Blank spreadsheets for operations: the header, dropdowns and a column guide."""

from __future__ import annotations

import csv
from pathlib import Path

from importer.columns import DESCRIPTIONS, DESCRIPTIONS_ES, FIELDS, REQUIRED_COLUMNS
from importer.errors import UsageError

TIME_COLUMNS = ("start_time", "end_time")
#: Rows of the template that get dropdowns and text formats.
TEMPLATE_ROWS = 1000
INSTRUCTIONS = (
    (
        "Write one campaign per row in the 'campaigns' sheet, under the header.",
        "Escriba una campaña por fila en la hoja 'campaigns', debajo del encabezado.",
    ),
    (
        "campaign_name and skill_id are required; the 'columns' sheet explains every column.",
        "campaign_name y skill_id son obligatorios; la hoja 'columns' explica cada columna.",
    ),
    (
        "Predictive campaigns need start_time and end_time, e.g. 08:00 and 18:00.",
        "Las campañas predictive necesitan start_time y end_time, p. ej. 08:00 y 18:00.",
    ),
    (
        "Check the file first: wolkvox-import validate campaigns.xlsx",
        "Revise el archivo primero: wolkvox-import validate campaigns.xlsx",
    ),
    (
        "Then create the campaigns: wolkvox-import run campaigns.xlsx --server 0032",
        "Luego cree las campañas: wolkvox-import run campaigns.xlsx --server 0032",
    ),
    (
        "Rows that were not created are in the retry file: fix them and run that file.",
        "Las filas no creadas quedan en el archivo retry: corríjalas y ejecute ese archivo.",
    ),
    (
        "The 'examples' sheet shows two filled-in rows.",
        "La hoja 'examples' muestra dos filas de ejemplo.",
    ),
)
EXAMPLES = (
    {"campaign_name": "Cobranza diciembre", "campaign_description": "Cartera vencida 30 días",
     "type_campaign": "predictive", "start_time": "08:00", "end_time": "18:00",
     "skill_id": "101", "enable_edition": "no"},
    {"campaign_name": "Bienvenida clientes nuevos", "type_campaign": "preview",
     "skill_id": "0042", "enable_edition": "yes", "opt1": "segmento A"},
)  # fmt: skip


def write_template(path: str | Path) -> Path:
    """Write a blank template; the format follows the extension (.xlsx or .csv)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8-sig") as fh:
            csv.writer(fh).writerow(FIELDS)
        return path
    if suffix != ".xlsx":
        raise UsageError(f"{path.name}: a template is .xlsx or .csv; name the file accordingly.")
    _write_xlsx(path)
    return path


def _write_xlsx(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "campaigns"
    sheet.append(list(FIELDS))
    sheet.freeze_panes = "A2"
    required = PatternFill("solid", fgColor="FFF2CC")
    last = TEMPLATE_ROWS + 1
    for i, name in enumerate(FIELDS, start=1):
        letter = get_column_letter(i)
        cell = sheet.cell(row=1, column=i)
        cell.font = Font(bold=True)
        if name in REQUIRED_COLUMNS:
            cell.fill = required
        sheet.column_dimensions[letter].width = 28 if name.startswith("campaign") else 15
        # Text keeps what ops types (skill 0042 stays 0042); times are real time cells,
        # so Excel itself refuses 25:00.
        fmt = "hh:mm" if name in TIME_COLUMNS else "@"
        for row in range(2, last + 1):
            sheet.cell(row=row, column=i).number_format = fmt
    choices = {"type_campaign": '"preview,predictive"', "enable_edition": '"yes,no"'}
    for name, formula in choices.items():
        letter = get_column_letter(FIELDS.index(name) + 1)
        rule = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=name,
            error=f"{name}: choose one of {formula.strip(chr(34))}",
        )
        rule.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(rule)
    times = DataValidation(
        type="time",
        operator="between",
        formula1="0",
        formula2="0.99999",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="time",
        error="Write a time of day, e.g. 08:00 / Escriba una hora, p. ej. 08:00",
    )
    for name in TIME_COLUMNS:
        letter = get_column_letter(FIELDS.index(name) + 1)
        times.add(f"{letter}2:{letter}{last}")
    sheet.add_data_validation(times)

    guide = book.create_sheet("columns")
    guide.append(["column", "required", "meaning", "significado"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for name in FIELDS:
        guide.append(
            [
                name,
                "yes" if name in REQUIRED_COLUMNS else "no",
                DESCRIPTIONS[name],
                DESCRIPTIONS_ES[name],
            ]
        )
    for letter, width in zip("ABCD", (22, 10, 70, 70), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    steps = book.create_sheet("instructions")
    steps.append(["English", "Español"])
    for cell in steps[1]:
        cell.font = Font(bold=True)
    for english, spanish in INSTRUCTIONS:
        steps.append([english, spanish])
    for letter in "AB":
        steps.column_dimensions[letter].width = 70
    for row in steps.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    examples = book.create_sheet("examples")
    examples.append(list(FIELDS))
    for example in EXAMPLES:
        examples.append([example.get(f, "") for f in FIELDS])
    book.save(path)


def template_cells(path: str | Path) -> dict[str, list[list[str]]]:
    """The text of every sheet of an xlsx template (used to check it has not drifted)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    return {
        ws.title: [
            ["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)
        ]
        for ws in book.worksheets
    }
