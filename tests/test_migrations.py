"""Migrations: one head, and the models never drift from what the migrations build."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from desk.extensions import db
from desk.models.base import exists_on


def script_directory(app) -> ScriptDirectory:
    config = app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def test_there_is_exactly_one_head(app, ctx):
    assert len(script_directory(app).get_heads()) == 1


def test_models_match_the_migrated_schema(app, ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "render_as_batch": True,
            "include_object": exists_on(connection.dialect.name),
        })
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_to_base_and_up_again(app, ctx):
    downgrade(revision="base")
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() is None
    upgrade()
    head = script_directory(app).get_current_head()
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
