"""Accounts: people, organisations, roles, sign-in and the organisation scope."""
