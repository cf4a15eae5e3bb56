"""Datasette plugins that ship with Veille (registered by :mod:`veille.webapp`)."""
