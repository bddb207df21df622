# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools import SQL, create_index

from .crm_interaction_template import _lang_get
from .res_partner import CORRESPONDENCE_TYPES


class CrmSegmentHistory(models.Model):
    """A contact inserted into or removed from a segment by a step.

    Removed lines keep their values here so that undoing the step restores
    exactly the lines as they were. Rows are written by the thousands in the
    statement of their step, so the table (created by ``init``) has no
    foreign key checked per row: the engine deletes the rows of the steps it
    deletes, and a restore leaves out what no longer exists.
    """

    _name = "crm.segment.history"
    _description = "Segment Step History"
    _order = "step_id, id"
    _log_access = False
    _auto = False

    step_id = fields.Many2one("crm.segment.step", required=True)
    segment_id = fields.Many2one("crm.segment", required=True)
    partner_id = fields.Many2one("res.partner", required=True)
    operation = fields.Selection(
        [("insert", "Inserted"), ("delete", "Removed")], required=True
    )
    # values of a removed line
    company_partner_id = fields.Many2one("res.partner")
    correspondence_type = fields.Selection(CORRESPONDENCE_TYPES)
    lang = fields.Selection(_lang_get)
    subject = fields.Char()
    interaction_template_id = fields.Many2one("crm.interaction.template")
    user_id = fields.Many2one("res.users")
    evaluation = fields.Char()
    contact_via = fields.Char()

    def init(self):
        cr = self.env.cr
        cr.execute(
            """
            CREATE TABLE IF NOT EXISTS crm_segment_history (
                id SERIAL PRIMARY KEY,
                step_id INTEGER NOT NULL,
                segment_id INTEGER NOT NULL,
                partner_id INTEGER NOT NULL,
                operation VARCHAR NOT NULL,
                company_partner_id INTEGER,
                correspondence_type VARCHAR,
                lang VARCHAR,
                subject VARCHAR,
                interaction_template_id INTEGER,
                user_id INTEGER,
                evaluation VARCHAR,
                contact_via VARCHAR
            )
            """
        )
        # a table of an earlier version: without its foreign keys
        cr.execute(
            """
            SELECT conname FROM pg_constraint
             WHERE conrelid = 'crm_segment_history'::regclass AND contype = 'f'
            """
        )
        for (name,) in cr.fetchall():
            cr.execute(
                SQL(
                    "ALTER TABLE crm_segment_history DROP CONSTRAINT %s",
                    SQL.identifier(name),
                )
            )
        cr.execute(
            "DROP INDEX IF EXISTS crm_segment_history__segment_id_index, "
            "crm_segment_history__step_id_index"
        )
        # undo and redo match history rows by step and contact
        create_index(
            cr,
            "crm_segment_history_step_partner_index",
            self._table,
            ["step_id", "operation", "partner_id"],
        )
