"""Stage 2, check: cells cleaned, columns matched, rows and records checked."""
