# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crm_interaction_template import check_not_logged


class UtmCampaign(models.Model):
    _inherit = "utm.campaign"

    code = fields.Char(
        string="Campaign No.",
        copy=False,
        readonly=True,
        index=True,
    )
    date_start = fields.Date(string="Start Date")
    date_end = fields.Date(string="End Date")
    # no default on the field: campaigns that exist when the addon is
    # installed (mass mailing, CRM) stay shared; new ones get the company
    # in create()
    company_id = fields.Many2one("res.company")
    stage_code = fields.Char(related="stage_id.code", string="Status Code")
    segment_ids = fields.One2many("crm.segment", "campaign_id", string="Segments")
    campaign_entry_ids = fields.One2many(
        "crm.campaign.entry", "campaign_id", string="Campaign Entries"
    )
    interaction_ids = fields.One2many(
        "crm.interaction", "campaign_id", string="Interactions"
    )

    # -------------------------------------------------------------------------
    # STATISTICS
    # -------------------------------------------------------------------------
    segment_count = fields.Integer(compute="_compute_segment_count")
    # the funnel, for the statistics period: utm_campaign_statistics.py
    logged_segment_count = fields.Integer(compute="_compute_campaign_statistics")
    interaction_count = fields.Integer(compute="_compute_campaign_statistics")
    target_contact_count = fields.Integer(
        string="Target Contacts",
        compute="_compute_campaign_statistics",
        help="Distinct contacts reached by target interactions that are not canceled.",
    )
    response_contact_count = fields.Integer(
        string="Responding Contacts",
        compute="_compute_campaign_statistics",
        help="Distinct contacts with a campaign response that is not canceled.",
    )
    response_rate = fields.Float(
        string="Response Rate (%)", compute="_compute_campaign_statistics"
    )
    cost_total = fields.Float(
        string="Cost", compute="_compute_campaign_statistics", digits="Product Price"
    )
    duration_total = fields.Float(
        string="Duration (Hours)", compute="_compute_campaign_statistics"
    )
    cost_per_response = fields.Float(
        string="Average Cost per Response",
        compute="_compute_campaign_statistics",
        digits="Product Price",
    )
    duration_per_response = fields.Float(
        string="Average Duration per Response", compute="_compute_campaign_statistics"
    )
    opportunity_count = fields.Integer(
        string="Opportunities", compute="_compute_campaign_statistics"
    )
    opportunity_value = fields.Float(
        string="Expected Revenue", compute="_compute_campaign_statistics"
    )

    _sql_constraints = [
        (
            "code_company_unique",
            "UNIQUE(code, company_id)",
            "A campaign with this number already exists in this company.",
        ),
    ]

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------
    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for campaign in self:
            if (
                campaign.date_start
                and campaign.date_end
                and campaign.date_end < campaign.date_start
            ):
                raise ValidationError(
                    self.env._(
                        "Campaign %(campaign)s: the end date (%(end)s) must be on or "
                        "after the start date (%(start)s).",
                        campaign=campaign.display_name,
                        end=campaign.date_end,
                        start=campaign.date_start,
                    )
                )

    # -------------------------------------------------------------------------
    # ORM overrides
    # -------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("code"):
                vals["code"] = self.env["ir.sequence"].next_by_code("crm.campaign")
            if "company_id" not in vals:
                vals["company_id"] = self.env.company.id
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        check_not_logged(self, "campaign_id")
        check_not_logged(self, "campaign_id", model="crm.campaign.entry")

    @api.depends("code", "title")
    def _compute_display_name(self):
        for campaign in self:
            if campaign.code:
                campaign.display_name = f"{campaign.code} {campaign.title or ''}"
            else:
                campaign.display_name = campaign.title or campaign.name

    @api.model
    def _search_display_name(self, operator, value):
        domain = super()._search_display_name(operator, value)
        if value and operator in ("ilike", "=ilike", "like", "=like", "="):
            domain = ["|", ("code", operator, value)] + list(domain)
        return domain

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------
    def _compute_segment_count(self):
        counts = dict(
            self.env["crm.segment"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id"], ["__count"]
            )
        )
        for campaign in self:
            campaign.segment_count = counts.get(campaign._origin, 0)

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------
    def _action_related(self, xmlid, domain):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = domain
        action["context"] = {"default_campaign_id": self.id}
        return action

    def action_view_segments(self):
        return self._action_related(
            "crm_campaign_segment.crm_segment_action",
            [("campaign_id", "=", self.id)],
        )

    def action_view_logged_segments(self):
        return self._action_related(
            "crm_campaign_segment.crm_logged_segment_action",
            [("campaign_entry_ids.campaign_id", "=", self.id)],
        )

    def action_view_interactions(self):
        return self._action_related(
            "crm_campaign_segment.crm_interaction_action",
            [("campaign_id", "=", self.id)],
        )

    def action_view_responses(self):
        return self._action_related(
            "crm_campaign_segment.crm_interaction_action",
            [("campaign_id", "=", self.id), ("campaign_response", "=", True)],
        )
