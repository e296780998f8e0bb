"""xAPI: the statements table, the statements the platform makes, and the LRS endpoint."""
