"""Synthetic campaign sheets for the benchmarks."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from importer.check.columns import FIELDS

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
            "skill_id": str(rng.randint(101, 110)),  # the sandbox operation's skills
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


#: The records benchmark's columns: 20, two of them phones.
RECORD_COLUMNS = (
    "campaign_name", "customer_id", "id_type", "customer_name", "customer_last_name", "age",
    "gender", "country", "state", "city", "address", "tel1", "tel2", "email", "recall_date",
    "opt1", "opt2", "opt3", "opt7", "opt8",
)  # fmt: skip
FIRST_NAMES = ("María", "José", "Luis", "Ana", "Carlos", "Diana", "Jorge", "Paola", "Andrés")
LAST_NAMES = ("Gómez", "Rodríguez", "Martínez", "López", "García", "Pérez", "Sánchez")
CITIES = (("Bogotá", "Cundinamarca"), ("Medellín", "Antioquia"), ("Cali", "Valle del Cauca"),
          ("Barranquilla", "Atlántico"), ("Bucaramanga", "Santander"))  # fmt: skip
#: Colombian mobile prefixes in use, and landline area prefixes.
MOBILE = ("300", "301", "302", "304", "305", "310", "311", "312", "313", "314", "315", "316",
          "317", "318", "319", "320", "321", "322", "323", "350", "351")  # fmt: skip
CAMPAIGNS = 20


def record_rows(n: int, *, seed: int = 7) -> list[list[str]]:
    """``n`` records of a contact list in RECORD_COLUMNS order, for CAMPAIGNS campaigns.

    Phones are written the ways CRM exports write them (plain digits mostly, some spaced
    out or with +57); about one record in a hundred has a number that cannot exist.
    """
    rng = random.Random(seed)
    out = []
    for i in range(n):
        city, state = rng.choice(CITIES)
        name = rng.choice(FIRST_NAMES)
        mobile = f"{rng.choice(MOBILE)}{rng.randint(1000000, 9999999)}"
        if i % 10 == 1:
            mobile = f"+57 {mobile[:3]} {mobile[3:6]} {mobile[6:]}"
        elif i % 100 == 2:
            mobile = mobile[:-1]  # a digit short
        landline = f"60{rng.choice((1, 2, 4, 5, 6, 7, 8))}{rng.randint(2000000, 9999999)}"
        out.append([
            f"Cobranza {i % CAMPAIGNS:02d}", str(10_000_000 + i), "CC", name,
            rng.choice(LAST_NAMES), str(rng.randint(18, 80)), rng.choice("MF"), "CO", state,
            city, f"Calle {rng.randint(1, 200)} # {rng.randint(1, 99)}-{rng.randint(1, 99)}",
            mobile, landline, f"cliente{i}@example.com",
            f"2026-12-{rng.randint(1, 28):02d} 10:00:00" if i % 3 == 0 else "",
            f"segmento {i % 7}", str(rng.randint(1, 9999)), "cartera 30", "", f"nota {i % 11}",
        ])  # fmt: skip
    return out


def write_records_csv(path: Path, cells: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(RECORD_COLUMNS)
        writer.writerows(cells)
    return path
