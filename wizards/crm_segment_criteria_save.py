# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmSegmentCriteriaSave(models.TransientModel):
    _name = "crm.segment.criteria.save"
    _description = "Save Segment Criteria"

    segment_id = fields.Many2one("crm.segment", required=True, ondelete="cascade")
    code = fields.Char(required=True)
    name = fields.Char(string="Description", required=True)
