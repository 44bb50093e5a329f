"""The command line: options, settings, dispatch and terminal output."""
