"""Stage 4, record: the results and retry workbooks, reports and history."""
