"""Data in: reading files, the column and label schema, validation, the Cohort, register panels,
synthetic samples, and per-person outcomes derived from a Cohort."""
