"""The local web page: ``wolkvox-import web`` (see :mod:`importer.web.server`)."""
