"""People and org sources: HR exports (CSV, XLSX, JSON, JSONL) read through a mapping, and CSV exports of the org tree."""
