"""The send log's cost is what the gateway charged; the forecast is kept beside it.

``sends.cost`` held the forecast (recipients x credits per message x repeats) whatever
became of the send, so two ``-201`` refusals to 999 numbers showed 999 credits each. The
column is renamed ``forecast`` (still NOT NULL) and a new, nullable ``cost`` says what was
charged: the forecast for an accepted send (success, reserved), 0 for a test, a refusal or
a send that never reached the gateway, NULL while pending or unknown, and for an unknown
send an administrator marked, the forecast (sent) or 0 (not sent).

Plain ``ALTER TABLE`` (RENAME COLUMN, ADD COLUMN; DROP COLUMN to go back), so SQLite keeps
the table, its rows and the search triggers of migration 0003 instead of copying them
(SQLite 3.25 renames columns, 3.35 drops them). One UPDATE fills the new column: on a
million sends, a few seconds.

Revision ID: 0006_cost_charged
Revises: 0005_send_text_trgm
Create Date: 2026-12-07 01:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_cost_charged'
down_revision = '0005_send_text_trgm'
branch_labels = None
depends_on = None

CHARGED = (
    "UPDATE sends SET cost = CASE "
    "WHEN test THEN 0 "
    "WHEN result IN ('success', 'reserved') THEN forecast "
    "WHEN result IN ('refused', 'not_sent', 'test') THEN 0 "
    "WHEN marked = 'sent' THEN forecast "
    "WHEN marked = 'not_sent' THEN 0 "
    "ELSE NULL END"
)


def upgrade() -> None:
    """Rename the forecast, add what was charged and fill it from each send's result."""
    op.execute("ALTER TABLE sends RENAME COLUMN cost TO forecast")
    op.add_column("sends", sa.Column("cost", sa.Integer(), nullable=True))
    op.execute(CHARGED)


def downgrade() -> None:
    """Back to one ``cost`` column holding the forecast."""
    op.execute("ALTER TABLE sends DROP COLUMN cost")
    op.execute("ALTER TABLE sends RENAME COLUMN forecast TO cost")
