"""Storage: SQLAlchemy 2 models, engine, migrations (SQLite default, PostgreSQL in production)."""
