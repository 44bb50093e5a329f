"""Blank spreadsheets for operations: the header, dropdowns and a column guide."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from importer.check.columns import DESCRIPTIONS, DESCRIPTIONS_ES, FIELDS, REQUIRED_COLUMNS
from importer.errors import UsageError
from importer.i18n import _

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
        "Las campañas predictivas necesitan start_time y end_time, p. ej. 08:00 y 18:00.",
    ),
    (
        "Point at a column name in the 'campaigns' sheet to read what it takes.",
        "Ponga el cursor sobre el nombre de una columna en la hoja 'campaigns' para ver qué lleva.",
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
        "In the results and retry files a red cell has a problem and an amber cell a warning; "
        "point at the cell to read its note.",
        "En los archivos de resultados y retry, una celda roja tiene un problema y una celda "
        "ámbar un aviso; ponga el cursor sobre la celda para leer su nota.",
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
#: The dropdowns: the words wolkvox takes, and what Excel shows when a cell is chosen
#: (title, message) and when something else is typed. Excel keeps titles to 32
#: characters and messages to 255. Other words are let through with a warning rather
#: than refused, since the importer also reads predictiva, sí, true, 1 and more.
DROPDOWNS: dict[str, tuple[str, tuple[str, str], str]] = {
    "type_campaign": (
        '"preview,predictive"',
        (
            "type_campaign: tipo",
            "preview or predictive (predictiva is read too). Empty: the --type option.\n"
            "preview o predictive (también predictiva). Vacío: se usa la opción --type.",
        ),
        "Choose preview or predictive.\nElija preview o predictive (también predictiva).",
    ),
    "enable_edition": (
        '"yes,no"',
        (
            "enable_edition: edición",
            "yes or no (sí/no, true/false, 1/0 are read too). Empty means no.\n"
            "yes o no (también sí/no, true/false, 1/0). Vacío equivale a no.",
        ),
        "Write yes or no.\nEscriba yes o no (o sí/no).",
    ),
}
TIME_PROMPT = (
    "start_time / end_time",
    "A time of day, e.g. 08:00. Required for predictive campaigns.\n"
    "Una hora del día, p. ej. 08:00. Obligatoria en campañas predictivas.",
)
TIME_ERROR = ("time / hora", "Write a time of day, e.g. 08:00 / Escriba una hora, p. ej. 08:00")
GUIDE_HEADER = ("column / columna", "required / obligatoria", "meaning", "significado")
REQUIRED = {True: "yes / sí", False: "no / no"}


def write_template(path: str | Path, *, replace: bool = False) -> Path:
    """Write a blank template; the format follows the extension (.xlsx or .csv).

    An existing file is kept (a UsageError) unless ``replace``: it is most likely the
    person's filled-in sheet, or a run's input with its journal beside it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UsageError(
            _("{name}: a template is .xlsx or .csv; name the file accordingly.").format(
                name=path.name
            )
        )
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(
            _(
                "the folder {folder} does not exist; create it first, or name a file in "
                "another folder."
            ).format(folder=folder)
        )
    if path.exists() and not replace:
        raise UsageError(
            _(
                "{path} already exists and was left as it is; name a new file, or add "
                "--force to replace it with a blank template."
            ).format(path=path)
        )
    try:
        if suffix == ".csv":
            with open(path, "w", newline="", encoding="utf-8-sig") as fh:
                csv.writer(fh).writerow(FIELDS)
        else:
            _write_xlsx(path)
    except OSError as exc:
        raise UsageError(
            _("cannot write {path} ({why}); name a file in a folder you can write to.").format(
                path=path, why=exc.strerror or type(exc).__name__
            )
        ) from None
    return path


def _write_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    _campaigns_sheet(book)
    _guide_sheet(book)
    _instructions_sheet(book)
    examples = book.create_sheet("examples")
    examples.append(list(FIELDS))
    for example in EXAMPLES:
        examples.append([example.get(f, "") for f in FIELDS])
    book.save(path)


def _campaigns_sheet(book: Any) -> None:
    """The sheet ops fill in: header with notes, text cells, time cells and dropdowns."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

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
        cell.comment = Comment(
            f"{DESCRIPTIONS[name]}\n\n{DESCRIPTIONS_ES[name]}", "wolkvox-import", 140, 320
        )
        sheet.column_dimensions[letter].width = 28 if name.startswith("campaign") else 15
        # Text keeps what ops types (skill 0042 stays 0042); times are real time cells,
        # so Excel itself refuses 25:00.
        fmt = "hh:mm" if name in TIME_COLUMNS else "@"
        for row in range(2, last + 1):
            sheet.cell(row=row, column=i).number_format = fmt
    _dropdowns(sheet, last)


def _dropdowns(sheet: Any, last: int) -> None:
    """Lists for the columns with fixed words, a time check for the time columns."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for name, (formula, (title, prompt), error) in DROPDOWNS.items():
        letter = get_column_letter(FIELDS.index(name) + 1)
        rule = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showInputMessage=True,
            promptTitle=title,
            prompt=prompt,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle=title,
            error=error,
        )
        rule.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(rule)
    times = DataValidation(
        type="time",
        operator="between",
        formula1="0",
        formula2="0.99999",
        allow_blank=True,
        showInputMessage=True,
        promptTitle=TIME_PROMPT[0],
        prompt=TIME_PROMPT[1],
        showErrorMessage=True,
        errorTitle=TIME_ERROR[0],
        error=TIME_ERROR[1],
    )
    for name in TIME_COLUMNS:
        letter = get_column_letter(FIELDS.index(name) + 1)
        times.add(f"{letter}2:{letter}{last}")
    sheet.add_data_validation(times)


def _guide_sheet(book: Any) -> None:
    """One row per column: its name, whether it is required, its meaning in both languages."""
    guide = book.create_sheet("columns")
    guide.append(list(GUIDE_HEADER))
    for name in FIELDS:
        required = REQUIRED[name in REQUIRED_COLUMNS]
        guide.append([name, required, DESCRIPTIONS[name], DESCRIPTIONS_ES[name]])
    _wrap(guide, (22, 12, 70, 70))


def _instructions_sheet(book: Any) -> None:
    """The steps, English beside Spanish."""
    steps = book.create_sheet("instructions")
    steps.append(["English", "Español"])
    for english, spanish in INSTRUCTIONS:
        steps.append([english, spanish])
    _wrap(steps, (70, 70))


def _wrap(sheet: Any, widths: tuple[int, ...]) -> None:
    """Bold header, the given column widths, and wrapped text below the header."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


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
