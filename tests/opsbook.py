"""A workbook shaped like an operations team's own: title rows, Spanish headers, a notes
column, a second sheet and some formatting, with a few mistakes."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

SHEET = "Campañas marzo"
OTHER_SHEET = "Instrucciones"
TITLE = "Campañas de cobranza — marzo"
HEADER = ["Nombre de la campaña", "Tipo de campaña", "ID skill", "Hora inicial", "Hora final",
          "Notas"]  # fmt: skip
HEADER_ROW = 3
#: sheet row -> cells; 999 and 998 are not skills of the demo operation (failed), 10A
#: is not an id (invalid)
ROWS = {
    4: ["Cobranza Mora 30 Bogotá", "preview", "101", "", "", "llamar antes de las 10"],
    5: ["Cobranza Mora 60", "preview", "102", "", "", ""],
    6: ["Ventas Hogar", "preview", "999", "", "", "skill nuevo, confirmar"],
    7: ["Soporte Nivel 1", "preview", "0042", "", "", ""],
    8: ["Retención", "predictive", "103", "08:00", "18:00", "solo tarde"],
    9: ["Prospección Cali", "preview", "998", "", "", ""],
    10: ["Cobranza Castigo", "preview", "10A", "", "", "revisar skill"],
    11: ["Bienvenida", "preview", "104", "", "", ""],
}
FAILED = [6, 9]
INVALID = [10]
HEADER_FILL = "FFF2CC"
NAME_COLOUR = "1F4E79"


def write_ops_book(path: Path) -> Path:
    """Write the workbook to ``path`` and return it."""
    book = Workbook()
    ws = book.active
    ws.title = SHEET
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:F1")
    ws["A2"] = "Preparado por el equipo de operaciones, Bogotá"
    for i, text in enumerate(HEADER, start=1):
        cell = ws.cell(row=HEADER_ROW, column=i, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    for number, cells in ROWS.items():
        for i, value in enumerate(cells, start=1):
            if value:
                cell = ws.cell(row=number, column=i, value=value)
                cell.number_format = "@"
    ws["A4"].font = Font(color=NAME_COLOUR, italic=True)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["F"].width = 28
    other = book.create_sheet(OTHER_SHEET)
    other["A1"] = "No borrar esta hoja: la usa el equipo de calidad."
    book.save(path)
    return path
