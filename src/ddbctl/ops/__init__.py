"""Library operations: each CLI command is a thin layer over one of these."""
