"""Administration: organisations, people and their roles."""
