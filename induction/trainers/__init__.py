"""Trainers: how each question and module performs, and learners' feedback, without names."""
