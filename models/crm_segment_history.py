# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools import create_index

from .crm_interaction_template import _lang_get
from .res_partner import CORRESPONDENCE_TYPES


class CrmSegmentHistory(models.Model):
    """A contact inserted into or removed from a segment by a step.

    Removed lines keep their values here so that undoing the step restores
    exactly the lines as they were. Rows are written by the thousands in the
    statement of their step; their foreign keys delete them with their step,
    segment or contact, and forget a deleted template or salesperson.
    """

    _name = "crm.segment.history"
    _description = "Segment Step History"
    _order = "step_id, id"
    _log_access = False

    # searched through the index (step, operation, contact) below; the other
    # indexes serve the deletion of a segment or a contact (their cascade)
    step_id = fields.Many2one("crm.segment.step", required=True, ondelete="cascade")
    segment_id = fields.Many2one(
        "crm.segment", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True
    )
    operation = fields.Selection(
        [("insert", "Inserted"), ("delete", "Removed")], required=True
    )
    # values of a removed line
    company_partner_id = fields.Many2one(
        "res.partner", ondelete="set null", index="btree_not_null"
    )
    correspondence_type = fields.Selection(CORRESPONDENCE_TYPES)
    lang = fields.Selection(_lang_get)
    subject = fields.Char()
    interaction_template_id = fields.Many2one(
        "crm.interaction.template", ondelete="set null"
    )
    user_id = fields.Many2one("res.users", ondelete="set null")
    evaluation = fields.Char()
    contact_via = fields.Char()

    def init(self):
        # undo and redo match history rows by step and contact; the segment's
        # rows are found through its steps
        create_index(
            self.env.cr,
            "crm_segment_history_step_partner_index",
            self._table,
            ["step_id", "operation", "partner_id"],
        )
