"""Business records: a small, generic set for erpai's AI features to act on (not an ERP)."""
