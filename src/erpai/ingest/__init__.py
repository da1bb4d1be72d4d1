"""AI tools for everyday work: deterministic parsers, invoice reading order, lead extraction (issue 13)."""
