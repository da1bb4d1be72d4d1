"""Feedback on answers (thumbs up / down) and the trainers' review inbox (issue 14, items 4 and 5)."""
