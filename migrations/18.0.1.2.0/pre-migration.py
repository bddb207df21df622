# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging creates its records through the models' create.

The link of an interaction to its e-mail is a plain foreign key again (the
previous version made it deferrable at every registry load), and the job's
counter of logged lines, now counted from the interactions, loses its column.
The step history gets its foreign keys (the update adds them once the rows
pointing nowhere are gone).
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
    # replaced by crm_interaction_logged_line_key in 18.0.1.0.0
    cr.execute("DROP INDEX IF EXISTS crm_interaction_logged_line_uniq")
    _history_orphans(cr)


def _history_orphans(cr):
    """The step history becomes an ordinary table with foreign keys: rows of
    deleted steps, segments or contacts go, deleted optional links are
    cleared, so that the update can add its constraints."""
    cr.execute("SELECT to_regclass('crm_segment_history')")
    if not cr.fetchone()[0]:
        return
    cr.execute(
        """
        DELETE FROM crm_segment_history h
         WHERE NOT EXISTS (SELECT 1 FROM crm_segment_step s WHERE s.id = h.step_id)
            OR NOT EXISTS (SELECT 1 FROM crm_segment g WHERE g.id = h.segment_id)
            OR NOT EXISTS (SELECT 1 FROM res_partner p WHERE p.id = h.partner_id)
        """
    )
    for column, table in (
        ("company_partner_id", "res_partner"),
        ("interaction_template_id", "crm_interaction_template"),
        ("user_id", "res_users"),
    ):
        cr.execute(
            f"""
            UPDATE crm_segment_history h SET {column} = NULL
             WHERE {column} IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = h.{column})
            """
        )
