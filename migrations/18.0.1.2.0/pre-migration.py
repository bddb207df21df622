# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging creates its records through the models' create.

The link of an interaction to its e-mail is a plain foreign key again (the
previous version made it deferrable at every registry load), and the job's
counter of logged lines, now counted from the interactions, loses its column.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT c.conname
          FROM pg_constraint c
          JOIN pg_attribute a
            ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
         WHERE c.conrelid = 'crm_interaction'::regclass AND c.contype = 'f'
           AND a.attname = 'mail_id' AND c.condeferrable
        """
    )
    for (name,) in cr.fetchall():
        cr.execute(
            f'ALTER TABLE crm_interaction ALTER CONSTRAINT "{name}" NOT DEFERRABLE'
        )
    cr.execute("ALTER TABLE crm_logged_segment DROP COLUMN IF EXISTS line_done")
