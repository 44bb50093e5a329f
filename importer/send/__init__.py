"""Stage 3, send: one request at a time, the journal, and what follows a run."""
