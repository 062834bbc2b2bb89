"""Alembic environment for Crier: runs on SQLite and PostgreSQL alike."""
from alembic import context

from workflow.accounts import models as _accounts  # noqa: F401 - every table in the metadata
from workflow.audit import models as _audit  # noqa: F401
from workflow.core.database import Base, make_engine
from workflow.delivery import models as _delivery  # noqa: F401
from workflow.insights import models as _insights  # noqa: F401
from workflow.media import models as _media  # noqa: F401
from workflow.messages import models as _messages  # noqa: F401
from workflow.notices import models as _notices  # noqa: F401
from workflow.scheduling import models as _scheduling  # noqa: F401

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    # Batch mode lets later migrations alter tables on SQLite too.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
