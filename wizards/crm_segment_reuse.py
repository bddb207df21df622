# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmSegmentReuse(models.TransientModel):
    _name = "crm.segment.reuse"
    _description = "Reuse Criteria or Logged Segment"

    segment_id = fields.Many2one("crm.segment", required=True, ondelete="cascade")
    reuse_type = fields.Selection(
        [("criteria", "Saved Criteria"), ("logged_segment", "Logged Segment")],
        required=True,
        default="criteria",
    )
    criteria_id = fields.Many2one("crm.segment.criteria", string="Saved Criteria")
    logged_segment_id = fields.Many2one("crm.logged.segment", string="Logged Segment")
    ignore_exclusion = fields.Boolean(string="Ignore Exclusion")
