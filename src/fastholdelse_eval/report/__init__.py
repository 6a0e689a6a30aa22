"""Evaluation reports: self-contained HTML, Markdown and PDF in Danish and English.

Data flow: tidy table (+ figures) → :mod:`.build` (disclosure control, section model with every
number formatted once) → :mod:`.html` / :mod:`.markdown` / :mod:`.pdf`. Renderers only lay out
the section model; they never compute a statistic.
"""
