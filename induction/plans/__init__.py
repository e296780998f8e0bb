"""Plans: each learner's induction plan and due date, organisation and role items, waivers."""
