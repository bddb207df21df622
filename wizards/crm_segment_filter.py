# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from ..models.crm_segment_line import EVALUATIONS
from ..models.crm_segment_step import FILTER_MODES, ID_FILTERS


class CrmSegmentFilter(models.TransientModel):
    _name = "crm.segment.filter"
    _description = "Add, Reduce or Refine Segment Contacts"

    segment_id = fields.Many2one("crm.segment", required=True, ondelete="cascade")
    mode = fields.Selection(FILTER_MODES, required=True, default="add")
    partner_domain = fields.Char(string="Contact Filter", default="[]")
    job_responsibility_ids = fields.Many2many(
        "crm.job.responsibility", string="Job Responsibilities"
    )
    business_relation_ids = fields.Many2many(
        "crm.business.relation",
        string="Business Relations",
        help="Business relations of companies: a person matches through its company.",
    )
    mailing_group_ids = fields.Many2many("crm.mailing.group", string="Mailing Groups")
    industry_ids = fields.Many2many(
        "res.partner.industry",
        string="Industries",
        help="Industries of companies: a person matches through its company.",
    )
    category_ids = fields.Many2many("res.partner.category", string="Tags")
    interaction_template_ids = fields.Many2many(
        "crm.interaction.template", string="Interaction Templates"
    )
    interaction_group_ids = fields.Many2many(
        "crm.interaction.group", string="Interaction Groups"
    )
    interaction_campaign_ids = fields.Many2many(
        "utm.campaign", string="Interaction Campaigns"
    )
    interaction_date_from = fields.Date(string="Interactions From")
    interaction_date_to = fields.Date(string="Interactions To")
    interaction_evaluation = fields.Selection(EVALUATIONS, string="Evaluation")
    interaction_campaign_response = fields.Boolean(string="Campaign Responses Only")
    opportunity_filter = fields.Selection(
        [
            ("open", "Has an Open Opportunity"),
            ("stage", "Has an Opportunity in Stage"),
            ("none", "Has No Open Opportunity"),
        ],
        string="Opportunities",
        help="Opportunities of the contact or of its company.",
    )
    opportunity_stage_ids = fields.Many2many("crm.stage", string="Opportunity Stages")
    activity_filter = fields.Selection(
        [("overdue", "Has an Overdue Activity"), ("planned", "Has a Planned Activity")],
        string="Activities",
    )
    activity_type_ids = fields.Many2many("mail.activity.type", string="Activity Types")
    expand_company = fields.Boolean(
        string="Expand Companies",
        help="Each contact found brings every contact of its company.",
    )
    include_company = fields.Boolean(
        string="Include Company Contacts",
        help="Each person found also brings its company contact.",
    )
    ignore_exclusion = fields.Boolean(
        help="Also add contacts marked 'Exclude from Segments'. Archived contacts "
        "are always left out.",
    )
    entire_companies = fields.Boolean(
        help="A match on any contact of a company removes (reduce) or keeps "
        "(refine) every contact of that company.",
    )

    def _filter_values(self):
        """The wizard's filters and options as a JSON-able dict."""
        self.ensure_one()
        values = {"partner_domain": self.partner_domain or "[]"}
        for key in ID_FILTERS:
            if key in self._fields:
                values[key] = self[key].ids
        for key in (
            "interaction_evaluation",
            "opportunity_filter",
            "activity_filter",
        ):
            values[key] = self[key] or False
        for key in ("interaction_date_from", "interaction_date_to"):
            values[key] = fields.Date.to_string(self[key]) if self[key] else False
        for key in (
            "interaction_campaign_response",
            "expand_company",
            "include_company",
            "ignore_exclusion",
            "entire_companies",
        ):
            values[key] = self[key]
        return values

    def action_apply(self):
        self.ensure_one()
        self.segment_id._apply_step(self.mode, self._filter_values())
        return {"type": "ir.actions.act_window_close"}
