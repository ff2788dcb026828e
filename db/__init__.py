"""Storage: SQLModel tables, the engine and sessions, migrations and demo data."""
