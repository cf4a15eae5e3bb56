"""Veille: medical news monitoring into one SQLite file."""

__version__ = "0.1.0"
USER_AGENT = f"Veille/{__version__} (+https://github.com/veille-medicale/veille; medical news monitor)"
