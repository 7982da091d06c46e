"""SQLAlchemy models, engine and session handling, and repositories."""
