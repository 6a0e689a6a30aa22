"""Figures drawn from fitted estimators (matplotlib, imported lazily when a figure is drawn)."""
