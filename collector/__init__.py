"""collector: a consent-gated, privacy-first web analytics collector (Matomo tracking API)."""

__version__ = "0.1.0"
