"""`flask --app voice backup DIR` and `restore DIR` (registered by voice.cli)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from . import service


@click.command("backup")
@with_appcontext
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder):
    """Copy the database and the encrypted media into FOLDER (new or empty), with checksums.

    The service may keep running. The keys are not copied: keep them apart from backups.
    """
    try:
        manifest = service.backup(folder)
    except service.BackupProblem as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(f"Backed up {len(manifest['files'])} files into {folder}.")


@click.command("restore")
@with_appcontext
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(folder):
    """Restore the backup in FOLDER into this empty instance (same key-encryption key).

    Cases erased since the backup was taken (the erasure list kept with the keys) are erased again.
    """
    try:
        erased = service.restore(folder)
    except service.BackupProblem as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(f"Restored from {folder}; {erased} cases erased since the backup were erased again.")


COMMANDS = (backup_command, restore_command)
