# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmSegmentCriteriaSave(models.TransientModel):
    _name = "crm.segment.criteria.save"
    _description = "Save Segment Criteria"

    segment_id = fields.Many2one("crm.segment", required=True, ondelete="cascade")
    code = fields.Char(required=True)
    name = fields.Char(string="Description", required=True)

    def action_save(self):
        self.ensure_one()
        criteria = self.segment_id._save_criteria(self.code, self.name)
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.segment.criteria",
            "res_id": criteria.id,
            "view_mode": "form",
            "target": "current",
        }
