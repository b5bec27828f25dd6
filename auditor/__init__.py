"""stale-audit: find the stale targets that monitoring and asset tools still poll."""

__version__ = "0.1.0"
