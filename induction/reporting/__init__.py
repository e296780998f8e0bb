"""Reporting: managers' views of completion per organisation."""
