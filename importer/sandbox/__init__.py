"""The stand-in wolkvox server (``python -m importer.sandbox`` serves it)."""
