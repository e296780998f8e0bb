"""Reminders: e-mails to learners and weekly summaries to managers, each sent once."""
