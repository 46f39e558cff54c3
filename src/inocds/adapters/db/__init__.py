"""Storage: SQLAlchemy 2 models, engine and migrations (SQLite by default, PostgreSQL in production)."""
