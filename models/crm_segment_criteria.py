# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from ..tools.markers import as_engine, is_engine


class CrmSegmentCriteria(models.Model):
    _name = "crm.segment.criteria"
    _description = "Saved Segment Criteria"
    _order = "code"
    _rec_names_search = ["code", "name"]
    _check_company_auto = True
    _inherit = ["crm.engine.mixin"]
    _engine_fields = frozenset({"changed_by_id"})

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
    changed_by_id = fields.Many2one(
        "res.users",
        string="Last Changed By",
        default=lambda self: self.env.user,
        readonly=True,
        copy=False,
        help="The user who last changed the criteria or their steps: the "
        "nightly refresh of dynamic segments replays them as this user.",
    )

    _sql_constraints = [
        (
            "code_company_unique",
            "UNIQUE(code, company_id)",
            "Saved criteria with this code already exist in this company.",
        ),
    ]

    def write(self, vals):
        result = super().write(vals)
        self._mark_changed()
        return result

    def _mark_changed(self):
        """Record the current user as the last to change these criteria
        (unless the engine itself writes)."""
        if self and not is_engine(self.env):
            as_engine(self.sudo()).write({"changed_by_id": self.env.uid})

    def _replay_user(self):
        """The user the scheduled refresh replays these criteria as."""
        self.ensure_one()
        criteria = self.sudo()
        return criteria.changed_by_id or criteria.write_uid

    def _compute_step_count(self):
        for criteria in self:
            criteria.step_count = len(criteria.step_ids)

    def _compute_display_name(self):
        for criteria in self:
            criteria.display_name = f"{criteria.code} - {criteria.name}"
