# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Campaign statistics: the funnel, for the whole campaign or a period."""

from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .crm_interaction_template import RESPONSE_TEMPLATE_XMLID

STATISTICS_FIELDS = (
    "interaction_count",
    "logged_segment_count",
    "cost_total",
    "duration_total",
    "target_contact_count",
    "reached_contact_count",
    "response_contact_count",
    "response_rate",
    "cost_per_response",
    "duration_per_response",
    "opportunity_count",
    "opportunity_value",
    "won_count",
    "won_revenue",
)


class UtmCampaign(models.Model):
    _inherit = "utm.campaign"

    response_template_id = fields.Many2one(
        "crm.interaction.template",
        default=lambda self: self.env.ref(
            RESPONSE_TEMPLATE_XMLID, raise_if_not_found=False
        ),
        help="Interaction template of the responses registered with one click or "
        "received by e-mail. Empty: the shipped template RESP.",
    )
    statistics_date_from = fields.Date(
        string="Statistics From",
        help="Count only the interactions and opportunities of this period.",
    )
    statistics_date_to = fields.Date(string="Statistics To")
    reached_contact_count = fields.Integer(
        string="Reached Contacts",
        compute="_compute_campaign_statistics",
        help="Distinct target contacts whose letter or e-mail was delivered.",
    )
    won_count = fields.Integer(
        string="Won Opportunities", compute="_compute_campaign_statistics"
    )
    won_revenue = fields.Float(compute="_compute_campaign_statistics")

    @api.constrains("statistics_date_from", "statistics_date_to")
    def _check_statistics_dates(self):
        for campaign in self:
            campaign._check_statistics_range(
                campaign.statistics_date_from, campaign.statistics_date_to
            )

    def _check_statistics_range(self, date_from, date_to):
        if date_from and date_to and date_to < date_from:
            raise ValidationError(
                self.env._(
                    "Campaign statistics: the period ends (%(end)s) before it "
                    "starts (%(start)s).",
                    end=date_to,
                    start=date_from,
                )
            )

    def _get_response_template(self):
        """The template of this campaign's responses (default: RESP)."""
        self.ensure_one()
        template = self.response_template_id or self.env.ref(
            RESPONSE_TEMPLATE_XMLID, raise_if_not_found=False
        )
        if not template:
            raise ValidationError(
                self.env._(
                    "Campaign %(campaign)s has no response template.",
                    campaign=self.display_name,
                )
            )
        return template

    # -------------------------------------------------------------------------
    # STATISTICS
    # -------------------------------------------------------------------------
    def _get_statistics(self, date_from=None, date_to=None):
        """The funnel of each campaign, as a dict by campaign id.

        Canceled interactions are left out; contacts are counted once.
        ``date_from`` / ``date_to`` (dates, both included) restrict the
        interactions by their date and the opportunities by their creation.
        """
        date_from = fields.Date.to_date(date_from) if date_from else None
        date_to = fields.Date.to_date(date_to) if date_to else None
        self._check_statistics_range(date_from, date_to)
        Interaction = self.env["crm.interaction"]
        Lead = self.env["crm.lead"].with_context(active_test=False)
        base = [("campaign_id", "in", self.ids), ("canceled", "=", False)]
        lead_base = [("campaign_id", "in", self.ids), ("type", "=", "opportunity")]
        if date_from:
            start = datetime.combine(date_from, time.min)
            base.append(("date", ">=", start))
            lead_base.append(("create_date", ">=", start))
        if date_to:
            end = datetime.combine(date_to + timedelta(days=1), time.min)
            base.append(("date", "<", end))
            lead_base.append(("create_date", "<", end))

        def distinct_partners(domain):
            return dict(
                Interaction._read_group(
                    base + domain, ["campaign_id"], ["partner_id:count_distinct"]
                )
            )

        totals = {
            campaign: (count, cost, duration)
            for campaign, count, cost, duration in Interaction._read_group(
                base, ["campaign_id"], ["__count", "cost:sum", "duration:sum"]
            )
        }
        targets = distinct_partners([("campaign_target", "=", True)])
        reached = distinct_partners(
            [("campaign_target", "=", True), ("delivery_status", "=", "delivered")]
        )
        responses = distinct_partners([("campaign_response", "=", True)])
        logged = dict(
            self.env["crm.campaign.entry"]._read_group(
                [("campaign_id", "in", self.ids), ("canceled", "=", False)],
                ["campaign_id"],
                ["logged_segment_id:count_distinct"],
            )
        )
        leads = {
            campaign: (count, revenue)
            for campaign, count, revenue in Lead._read_group(
                lead_base, ["campaign_id"], ["__count", "expected_revenue:sum"]
            )
        }
        won = {
            campaign: (count, revenue)
            for campaign, count, revenue in Lead._read_group(
                lead_base + [("active", "=", True), ("stage_id.is_won", "=", True)],
                ["campaign_id"],
                ["__count", "expected_revenue:sum"],
            )
        }
        result = {}
        for campaign in self:
            origin = campaign._origin
            count, cost, duration = totals.get(origin, (0, 0.0, 0.0))
            target = targets.get(origin, 0)
            response = responses.get(origin, 0)
            opportunity_count, opportunity_value = leads.get(origin, (0, 0.0))
            won_count, won_revenue = won.get(origin, (0, 0.0))
            result[origin.id] = {
                "interaction_count": count,
                "logged_segment_count": logged.get(origin, 0),
                "cost_total": cost,
                "duration_total": duration,
                "target_contact_count": target,
                "reached_contact_count": reached.get(origin, 0),
                "response_contact_count": response,
                "response_rate": 100.0 * response / target if target else 0.0,
                "cost_per_response": cost / response if response else 0.0,
                "duration_per_response": duration / response if response else 0.0,
                "opportunity_count": opportunity_count,
                "opportunity_value": opportunity_value,
                "won_count": won_count,
                "won_revenue": won_revenue,
            }
        return result

    @api.depends("statistics_date_from", "statistics_date_to")
    def _compute_campaign_statistics(self):
        """The statistics fields, for the campaign's statistics period."""
        for (date_from, date_to), campaigns in self.grouped(
            lambda c: (c.statistics_date_from, c.statistics_date_to)
        ).items():
            if date_from and date_to and date_to < date_from:
                # the constraint refuses it on save; show nothing meanwhile
                campaigns.update(dict.fromkeys(STATISTICS_FIELDS, 0))
                continue
            statistics = campaigns._get_statistics(date_from, date_to)
            for campaign in campaigns:
                campaign.update(statistics[campaign._origin.id])

    def action_print_statistics(self):
        return self.env.ref(
            "crm_campaign_segment.report_campaign_statistics"
        ).report_action(self)

    def action_view_statistics(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_campaign_segment.crm_interaction_action_analysis"
        )
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"search_default_not_canceled": 1}
        return action


class CrmCampaignEntry(models.Model):
    _inherit = "crm.campaign.entry"

    target_contact_count = fields.Integer(
        string="Target Contacts", compute="_compute_response_statistics"
    )
    reached_contact_count = fields.Integer(
        string="Reached Contacts", compute="_compute_response_statistics"
    )
    response_contact_count = fields.Integer(
        string="Responding Contacts",
        compute="_compute_response_statistics",
        help="Target contacts of this logged segment who responded to the campaign.",
    )
    response_rate = fields.Float(
        string="Response Rate (%)", compute="_compute_response_statistics"
    )
    counted_cost = fields.Float(
        string="Cost (Not Canceled)",
        compute="_compute_response_statistics",
        digits="Product Price",
    )

    def _compute_response_statistics(self):
        counts = {}
        if self._origin.ids:
            self.env["crm.interaction"].flush_model()
            counts = {
                row[0]: row[1:]
                for row in self.env.execute_query(
                    SQL(
                        """
                SELECT i.campaign_entry_id,
                       COUNT(DISTINCT i.partner_id) FILTER (WHERE i.campaign_target),
                       COUNT(DISTINCT i.partner_id) FILTER (
                           WHERE i.campaign_target
                             AND i.delivery_status = 'delivered'),
                       COUNT(DISTINCT i.partner_id) FILTER (
                           WHERE i.campaign_target AND EXISTS (
                           SELECT 1
                             FROM crm_interaction r
                            WHERE r.campaign_response
                              AND NOT COALESCE(r.canceled, FALSE)
                              AND r.campaign_id = i.campaign_id
                              AND r.partner_id = i.partner_id)),
                       COALESCE(SUM(i.cost), 0)
                  FROM crm_interaction i
                 WHERE i.campaign_entry_id IN %s
                   AND NOT COALESCE(i.canceled, FALSE)
                 GROUP BY i.campaign_entry_id
                        """,
                        tuple(self._origin.ids),
                    )
                )
            }
        for entry in self:
            target, reached, responded, cost = counts.get(
                entry._origin.id, (0, 0, 0, 0.0)
            )
            entry.target_contact_count = target
            entry.reached_contact_count = reached
            entry.response_contact_count = responded
            entry.response_rate = 100.0 * responded / target if target else 0.0
            entry.counted_cost = cost
