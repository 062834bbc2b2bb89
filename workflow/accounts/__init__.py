"""People and channel accounts: users and roles, API tokens, sign-in and two
factors, channel accounts with encrypted credentials, and ``policy`` (every
"who may" rule)."""
