"""Multi-agency training sessions: scheduling, booking, waiting lists, registers and the mix report."""
