# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Before the update: the interactions logged so far were neither opened nor
clicked.  Their new columns are added here, filled with 0 in one statement,
so that the update does not compute the stored counts of every interaction
one by one."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    for column in ("click_count", "opened_count", "clicked_count"):
        cr.execute(
            SQL(
                "ALTER TABLE crm_interaction "
                "ADD COLUMN IF NOT EXISTS %s int4 DEFAULT 0",
                SQL.identifier(column),
            )
        )
        cr.execute(
            SQL(
                "ALTER TABLE crm_interaction ALTER COLUMN %s DROP DEFAULT",
                SQL.identifier(column),
            )
        )
