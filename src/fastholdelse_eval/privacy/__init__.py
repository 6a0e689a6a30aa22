"""Privacy: disclosure control of tidy tables and figures, and pseudonymization of CPR numbers."""
