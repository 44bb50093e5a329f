"""wolkvox-import: create many wolkvox campaigns from one spreadsheet, safely.

The package is usable without the command line::

    from importer.read import load
    from importer.check import schema
    sheet = load.load_table("campaigns.xlsx")
    checked = schema.validate(sheet.frame, schema.Options())

This module stays import-light on purpose: ``wolkvox-import --help`` must not pay
for pandas or pandera.
"""

__version__ = "0.1.0"
