"""The audit trail: an append-only, hash-chained and sealed record of every
change, signed checkpoints kept outside the database, and its verification."""
