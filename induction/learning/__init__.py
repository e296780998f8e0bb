"""Learning: reading sections, taking quizzes, and the learner's view of progress."""
