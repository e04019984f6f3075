"""issue 16: exposure copies (曝光台) of problem photos, with their blur boxes and the
state of their rendering

Revision ID: 584493f75ad6
Revises: 9a3b6e0d2c15
Create Date: 2026-12-06 02:56:26.447484

"""
import sqlalchemy as sa
from alembic import op

revision = '584493f75ad6'
down_revision = '9a3b6e0d2c15'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exposure_copy',
    sa.Column('photo_id', sa.Uuid(), nullable=False),
    sa.Column('office_unit_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'withdrawn', name='exposurestatus', native_enum=False, length=20), nullable=False),
    sa.Column('boxes', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('rendered_revision', sa.Integer(), nullable=True),
    sa.Column('render_state', sa.Enum('queued', 'running', 'done', 'failed', name='renderstate', native_enum=False, length=20), nullable=False),
    sa.Column('render_error', sa.String(length=300), nullable=True),
    sa.Column('render_queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detector_version', sa.String(length=120), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('file_path', sa.String(length=300), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('published_by_id', sa.Uuid(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Uuid(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_exposure_copy_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['office_unit_id'], ['unit.id'], name=op.f('fk_exposure_copy_office_unit_id_unit')),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_exposure_copy_photo_id_photo')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_exposure_copy_published_by_id_user_account')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user_account.id'], name=op.f('fk_exposure_copy_withdrawn_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exposure_copy'))
    )
    with op.batch_alter_table('exposure_copy', schema=None) as batch_op:
        batch_op.create_index('ix_exposure_copy_office_status', ['office_unit_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_exposure_copy_photo_id'), ['photo_id'], unique=False)


def downgrade():
    with op.batch_alter_table('exposure_copy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exposure_copy_photo_id'))
        batch_op.drop_index('ix_exposure_copy_office_status')

    op.drop_table('exposure_copy')