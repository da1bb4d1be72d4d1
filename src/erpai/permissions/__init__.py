"""Per-model rights (train, use) granted by admins, and the checks every service applies."""
