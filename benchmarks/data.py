"""Synthetic campaign sheets for the benchmarks."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from importer.columns import FIELDS

WORDS = ("Cobranza", "Retención", "Ventas", "Encuesta", "Bienvenida", "Renovación",
         "Campaña", "Clientes", "Prepago", "Pospago", "Seguros", "Tarjetas")  # fmt: skip


def rows(n: int, *, prefix: str = "B", invalid_every: int = 0, seed: int = 7) -> list[list[str]]:
    """``n`` rows of text cells in FIELDS order; every ``invalid_every``-th row is broken."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        predictive = i % 3 != 0
        row = {
            "campaign_name": f"{prefix} {rng.choice(WORDS)} {i:07d}",
            "campaign_description": f"{rng.choice(WORDS)} {rng.choice(WORDS)} lote {i % 50}",
            "type_campaign": "predictive" if predictive else "preview",
            "start_time": f"{rng.randint(6, 10):02d}:{rng.choice(('00', '30'))}"
            if predictive
            else "",
            "end_time": f"{rng.randint(16, 21)}:00" if predictive else "",
            "skill_id": str(rng.randint(100, 120)),
            "enable_edition": rng.choice(("yes", "no", "", "si")),
            "opt1": f"segmento {i % 7}",
            "opt2": str(rng.randint(1, 9999)),
        }
        if invalid_every and i % invalid_every == 0:
            row["skill_id"] = "12a"
            row["start_time"] = "25:00" if predictive else row["start_time"]
        out.append([row.get(f, "") for f in FIELDS])
    return out


def write_csv(path: Path, cells: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        writer.writerows(cells)
    return path


def write_xlsx(path: Path, cells: list[list[str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("campaigns")
    sheet.append(list(FIELDS))
    for row in cells:
        sheet.append(row)
    book.save(path)
    return path
