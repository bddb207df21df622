# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .crm_interaction_template import _lang_get
from .res_partner import CORRESPONDENCE_TYPES

STEP_MODES = [
    ("add", "Add Contacts"),
    ("reduce", "Reduce Contacts"),
    ("refine", "Refine Contacts"),
]


class CrmSegmentStep(models.Model):
    """One change of a segment's contacts, as applied, with what it changed."""

    _name = "crm.segment.step"
    _description = "Segment Criteria Step"
    _order = "segment_id, sequence, id"

    segment_id = fields.Many2one(
        "crm.segment", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="segment_id.company_id")
    sequence = fields.Integer(string="Step No.", required=True, default=1)
    mode = fields.Selection(STEP_MODES, required=True)
    origin = fields.Selection(
        [
            ("filter", "Filter"),
            ("manual", "Manual Edit"),
            ("criteria", "Saved Criteria"),
            ("logged_segment", "Logged Segment"),
            ("refresh", "Refresh"),
        ],
        default="filter",
        required=True,
    )
    partner_domain = fields.Text(
        string="Contact Filter", help="The contact domain as it was applied."
    )
    filter_values = fields.Json(
        help="Every filter and option of the step, to replay it."
    )
    description = fields.Text(string="Filter", help="The filter in words.")
    inserted_count = fields.Integer(string="Added")
    removed_count = fields.Integer(string="Removed")
    undone = fields.Boolean(
        help="Undone by Go Back; Go Forward applies it again.", index=True
    )
    history_ids = fields.One2many(
        "crm.segment.history", "step_id", string="Contacts Changed"
    )


class CrmSegmentHistory(models.Model):
    """A contact inserted into or removed from a segment by a step.

    Removed lines keep their values here so that undoing the step restores
    exactly the lines as they were.
    """

    _name = "crm.segment.history"
    _description = "Segment Step History"
    _order = "step_id, id"
    _log_access = False

    step_id = fields.Many2one(
        "crm.segment.step", required=True, ondelete="cascade", index=True
    )
    segment_id = fields.Many2one(
        "crm.segment", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")
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
