"""Statistics on arrays: rates and their intervals, survival estimators, meta-analysis.
Knows nothing of files, cohorts or reports."""
