"""Prometheus metrics shared by the web app and the workers."""
