"""Exports and imports: fine-tune data, training conversations, hit history, build logs and metrics,
and whole models (settings, Q&As, conversations) as one file."""
