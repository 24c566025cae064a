"""Dispatch: self-hostable, API-first customer-support ticketing."""

__version__ = "0.1.0"
