# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmSegmentCriteria(models.Model):
    _name = "crm.segment.criteria"
    _description = "Saved Segment Criteria"
    _order = "code"
    _rec_names_search = ["code", "name"]
    _check_company_auto = True

    code = fields.Char(required=True)
    name = fields.Char(string="Description", required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    step_ids = fields.One2many(
        "crm.segment.criteria.step", "criteria_id", string="Steps", copy=True
    )
    step_count = fields.Integer(compute="_compute_step_count")

    _sql_constraints = [
        (
            "code_company_unique",
            "UNIQUE(code, company_id)",
            "Saved criteria with this code already exist in this company.",
        ),
    ]

    def _compute_step_count(self):
        for criteria in self:
            criteria.step_count = len(criteria.step_ids)

    def _compute_display_name(self):
        for criteria in self:
            criteria.display_name = f"{criteria.code} - {criteria.name}"
