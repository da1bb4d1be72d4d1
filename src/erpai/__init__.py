"""erpai: a self-hosted AI module for business applications."""

__version__ = "0.1.0"
