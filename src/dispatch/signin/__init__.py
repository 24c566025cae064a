"""Signing team members in to the dashboard: passwords, emailed links, sessions."""
