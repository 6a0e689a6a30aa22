"""Analyses: from a Cohort to tidy rows and fitted result objects (evaluation, durations,
municipality comparison, baseline and flow, targets). Analyses never read files."""
