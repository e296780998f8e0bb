"""Refresher periods shorter than a module's default, set for a sector or an organisation (issue 17)."""
