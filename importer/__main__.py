"""``python -m importer`` is the same as ``wolkvox-import``."""

from importer.cli import main

raise SystemExit(main())
