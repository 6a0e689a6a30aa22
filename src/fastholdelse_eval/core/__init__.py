"""Core: what every layer shares — errors, the metric registry, the tidy table, options,
number formatting and the result base. Imports nothing else of the package."""
