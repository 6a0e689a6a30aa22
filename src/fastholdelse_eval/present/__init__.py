"""Presentation: tidy tables, reports (HTML, Markdown, PDF) and notebook views laid out from what
the pipeline computed and disclosure cleared. Renderers never compute a statistic."""
