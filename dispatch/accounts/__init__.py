"""Accounts: users, roles, bearer tokens and sign-in limits."""
