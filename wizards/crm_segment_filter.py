# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from ..models.crm_segment_line import EVALUATIONS
from ..models.crm_segment_step import STEP_MODES


class CrmSegmentFilter(models.TransientModel):
    _name = "crm.segment.filter"
    _description = "Add, Reduce or Refine Segment Contacts"

    segment_id = fields.Many2one("crm.segment", required=True, ondelete="cascade")
    mode = fields.Selection(STEP_MODES, required=True, default="add")
    partner_domain = fields.Char(string="Contact Filter", default="[]")
    job_responsibility_ids = fields.Many2many(
        "crm.job.responsibility", string="Job Responsibilities"
    )
    business_relation_ids = fields.Many2many(
        "crm.business.relation", string="Business Relations"
    )
    mailing_group_ids = fields.Many2many("crm.mailing.group", string="Mailing Groups")
    industry_ids = fields.Many2many("res.partner.industry", string="Industries")
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
    expand_company = fields.Boolean(
        string="Expand Companies",
        help="Each contact found brings every contact of its company.",
    )
    include_company = fields.Boolean(
        string="Include Company Contacts",
        help="Each person found also brings its company contact.",
    )
    ignore_exclusion = fields.Boolean(
        string="Ignore Exclusion",
        help="Also add contacts marked 'Exclude from Segments'.",
    )
    entire_companies = fields.Boolean(
        help="A match on any contact of a company removes (reduce) or keeps "
        "(refine) every contact of that company.",
    )
