"""Messages: drafts and their immutable versions (rendered once and hashed),
the lifecycle states, review under the two-person rule, corrections and
withdrawals, and the pre-publication checks."""
