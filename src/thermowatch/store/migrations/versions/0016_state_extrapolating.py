"""the stored state says when its prediction is extrapolating

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-07 05:20:00

``transformer_state.extrapolating``: the prediction at the state's reading lies outside the
model's domain of validity (inputs or seasons its training never saw), so the fleet row, the
transformer page and the alert texts can say so without asking the model again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transformer_state") as batch:
        batch.add_column(
            sa.Column(
                "extrapolating",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="the prediction at ts is outside the model's domain of validity",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("transformer_state") as batch:
        batch.drop_column("extrapolating")
