"""``python -m importer.sandbox``: the same as ``wolkvox-import sandbox``."""

import sys

from importer.cli.commands import main

if __name__ == "__main__":
    sys.exit(main(["sandbox", *sys.argv[1:]]))
