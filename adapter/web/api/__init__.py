"""The operator and cooperative REST API under /api/v1."""
