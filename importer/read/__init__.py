"""Stage 1, read: a file opened by its bytes and turned into a table of text cells."""
