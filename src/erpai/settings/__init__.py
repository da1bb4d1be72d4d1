"""System settings: company configuration kept in the database (decisions.md), typed and bounded."""
