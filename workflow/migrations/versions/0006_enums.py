"""enums: each status, role and kind column accepts only its enum's values

Revision ID: 0006_enums
Revises: 0005_audit
Create Date: 2026-12-04 06:40:00.000000

The values are written out here, as they were when this migration was made: a
later change to an enum needs a migration of its own.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_enums'
down_revision = '0005_audit'
branch_labels = None
depends_on = None

MESSAGE_STATES = ("draft", "awaiting_verification", "rejected", "approved", "scheduled", "held", "publishing",
                  "published", "partially_published", "failed", "withdrawn")
DELIVERY_STATES = ("pending", "sending", "retrying", "unknown", "sent", "failed", "held", "cancelled")
KINDS = ("incident", "routine")

#: table -> column -> allowed values
CHECKS = {
    "users": {"role": ("officer", "supervisor", "admin")},
    "channel_accounts": {"kind": ("x", "facebook", "website"),
                         "status": ("active", "reconnect", "disabled", "removed")},
    "incidents": {"status": ("open", "closed")},
    "messages": {"kind": KINDS, "status": MESSAGE_STATES},
    "decisions": {"decision": ("approved", "rejected")},
    "deliveries": {"purpose": ("publish", "correct", "withdraw"), "queue": KINDS, "state": DELIVERY_STATES},
}


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                batch.create_check_constraint(op.f(f"ck_{table}_{column}"), sa.text(_condition(column, values)))


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
