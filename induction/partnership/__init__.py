"""The safeguarding partnership's read-only view: aggregate figures for its member organisations."""
