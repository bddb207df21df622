# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Campaigns: numbers and dates, the funnel statistics (for the whole campaign
or a period), and the campaign prices of a target group."""

from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .crm_interaction_template import RESPONSE_TEMPLATE_XMLID, check_not_logged

# Marks the writes of action_activate_prices / action_deactivate_prices: a
# module object, which no RPC client can put in a context.
PRICES_ENGINE = object()
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
    "email_count",
    "opened_count",
    "clicked_count",
    "opened_ratio",
    "clicked_ratio",
)
# the statistics period: context keys named after the fields that show it
STATISTICS_PERIOD_KEYS = ("statistics_date_from", "statistics_date_to")


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
    # no default on the field (`sale` gives it one): campaigns that exist when
    # the addon is installed (mass mailing, CRM) stay shared; new ones get the
    # company in create()
    company_id = fields.Many2one("res.company", default=None)
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
    # the funnel, for the statistics period (_compute_campaign_statistics)
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
    # opens and clicks of its e-mails (one per address, not canceled)
    email_count = fields.Integer(
        string="E-mails", compute="_compute_campaign_statistics"
    )
    opened_count = fields.Integer(
        string="Opened", compute="_compute_campaign_statistics"
    )
    clicked_count = fields.Integer(
        string="Clicked", compute="_compute_campaign_statistics"
    )
    opened_ratio = fields.Float(
        string="Opened (%)", compute="_compute_campaign_statistics"
    )
    clicked_ratio = fields.Float(
        string="Clicked (%)", compute="_compute_campaign_statistics"
    )
    opportunity_value = fields.Float(
        string="Expected Revenue", compute="_compute_campaign_statistics"
    )
    # responses registered with one click or received by e-mail
    response_template_id = fields.Many2one(
        "crm.interaction.template",
        default=lambda self: self.env.ref(
            RESPONSE_TEMPLATE_XMLID, raise_if_not_found=False
        ),
        help="Interaction template of the responses registered with one click or "
        "received by e-mail. Empty: the shipped template RESP.",
    )
    # the statistics period, and the rest of the funnel. The period is each
    # reader's, not the campaign's: the one of the context (keys of the same
    # names: RPC, the parameters of the PDF report), else the one the user
    # picked (crm.campaign.statistics.period).
    statistics_date_from = fields.Date(
        string="Statistics From",
        compute="_compute_statistics_period",
        inverse="_inverse_statistics_period",
        help="Count only the interactions and opportunities of this period.",
    )
    statistics_date_to = fields.Date(
        string="Statistics To",
        compute="_compute_statistics_period",
        inverse="_inverse_statistics_period",
    )
    reached_contact_count = fields.Integer(
        string="Reached Contacts",
        compute="_compute_campaign_statistics",
        help="Distinct target contacts whose letter or e-mail was delivered.",
    )
    won_count = fields.Integer(
        string="Won Opportunities", compute="_compute_campaign_statistics"
    )
    won_revenue = fields.Float(compute="_compute_campaign_statistics")
    # campaign prices
    pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Campaign Price List",
        help="The campaign's prices and discounts. While the campaign prices are "
        "active, the customers of the target group get the lower of their own "
        "price and this price list's, on orders dated within the campaign.",
    )
    prices_active = fields.Boolean(
        string="Campaign Prices Active",
        readonly=True,
        copy=False,
        help="Set by Activate Prices, cleared by Deactivate Prices.",
    )
    target_ids = fields.One2many(
        "crm.campaign.target", "campaign_id", string="Target Group", readonly=True
    )
    target_count = fields.Integer(
        string="Target Customers", compute="_compute_target_count"
    )
    price_currency_id = fields.Many2one(
        related="pricelist_id.currency_id", string="Price List Currency"
    )
    price_revenue = fields.Monetary(
        string="Revenue at Campaign Prices",
        currency_field="price_currency_id",
        compute="_compute_price_revenue",
        help="Untaxed amount of the confirmed sales order lines priced by this "
        "campaign.",
    )
    price_order_count = fields.Integer(
        string="Orders at Campaign Prices", compute="_compute_price_revenue"
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

    @api.constrains("prices_active", "pricelist_id", "date_start", "date_end")
    def _check_prices_active(self):
        for campaign in self.filtered("prices_active"):
            problems = campaign._prices_problems(targets=False)
            if problems:
                raise ValidationError("\n".join(problems))

    def _check_prices_written(self, vals):
        if "prices_active" in vals and (
            self.env.context.get("crm_campaign_prices") is not PRICES_ENGINE
        ):
            raise UserError(
                self.env._(
                    "Campaign prices are switched on and off with Activate Prices "
                    "and Deactivate Prices only."
                )
            )

    # -------------------------------------------------------------------------
    # ORM overrides
    # -------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        # all checked before a campaign number is drawn
        for vals in vals_list:
            self._check_prices_written(vals)
        for vals in vals_list:
            if not vals.get("code"):
                vals["code"] = self.env["ir.sequence"].next_by_code("crm.campaign")
            if "company_id" not in vals:
                vals["company_id"] = self.env.company.id
        return super().create(vals_list)

    def write(self, vals):
        self._check_prices_written(vals)
        return super().write(vals)

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

    def _compute_target_count(self):
        counts = dict(
            self.env["crm.campaign.target"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id"], ["__count"]
            )
        )
        for campaign in self:
            campaign.target_count = counts.get(campaign._origin, 0)

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_price_revenue(self):
        # read as superuser (campaign users need no sales rights), but only the
        # orders of the companies the user works in: a campaign shared by
        # companies shows each company its own revenue
        totals = {
            campaign: (amount, orders)
            for campaign, amount, orders in self.env["sale.order.line"]
            .sudo()
            ._read_group(
                [
                    *self._price_sale_line_domain(),
                    ("company_id", "in", self.env.companies.ids),
                ],
                ["campaign_id"],
                ["price_subtotal:sum", "order_id:count_distinct"],
            )
        }
        for campaign in self:
            amount, orders = totals.get(campaign._origin, (0.0, 0))
            campaign.price_revenue = amount
            campaign.price_order_count = orders

    def _price_sale_line_domain(self):
        return [("campaign_id", "in", self.ids), ("state", "=", "sale")]

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
        interaction_domain, lead_domain = self._statistics_domains(date_from, date_to)
        groups = {
            **self._statistics_interaction_groups(interaction_domain),
            "logged": self._statistics_logged_groups(),
            **self._statistics_opportunity_groups(lead_domain),
        }
        return {
            campaign._origin.id: campaign._statistics_values(groups)
            for campaign in self
        }

    def _statistics_domains(self, date_from, date_to):
        """The domains of the counted interactions and opportunities: of these
        campaigns, from ``date_from`` to ``date_to`` (dates, both included)."""
        interactions = [("campaign_id", "in", self.ids), ("canceled", "=", False)]
        leads = [("campaign_id", "in", self.ids), ("type", "=", "opportunity")]
        if date_from:
            start = datetime.combine(date_from, time.min)
            interactions.append(("date", ">=", start))
            leads.append(("create_date", ">=", start))
        if date_to:
            end = datetime.combine(date_to + timedelta(days=1), time.min)
            interactions.append(("date", "<", end))
            leads.append(("create_date", "<", end))
        return interactions, leads

    def _statistics_interaction_groups(self, domain):
        """By campaign: the totals of the interactions of ``domain`` (count,
        cost, duration) and their distinct contacts targeted, reached and
        responding."""
        Interaction = self.env["crm.interaction"]

        def distinct_partners(extra):
            return dict(
                Interaction._read_group(
                    domain + extra, ["campaign_id"], ["partner_id:count_distinct"]
                )
            )

        target = [("campaign_target", "=", True)]
        return {
            "totals": {
                campaign: (count, cost, duration)
                for campaign, count, cost, duration in Interaction._read_group(
                    domain, ["campaign_id"], ["__count", "cost:sum", "duration:sum"]
                )
            },
            "targets": distinct_partners(target),
            "reached": distinct_partners(
                target + [("delivery_status", "=", "delivered")]
            ),
            "responses": distinct_partners([("campaign_response", "=", True)]),
            "tracking": Interaction._tracking_groups(domain, "campaign_id"),
        }

    def _statistics_logged_groups(self):
        """By campaign: its logged segments whose entry is not canceled."""
        return dict(
            self.env["crm.campaign.entry"]._read_group(
                [("campaign_id", "in", self.ids), ("canceled", "=", False)],
                ["campaign_id"],
                ["logged_segment_id:count_distinct"],
            )
        )

    def _statistics_opportunity_groups(self, domain):
        """By campaign: count and expected revenue of the opportunities of
        ``domain`` (archived ones too), and of those active and won. None
        for a reader without Sales rights: the figures are hidden from them."""
        Lead = self.env["crm.lead"].with_context(active_test=False)
        if not Lead.has_access("read"):
            return {"leads": {}, "won": {}}
        won = [("active", "=", True), ("stage_id.is_won", "=", True)]
        return {
            key: {
                campaign: (count, revenue)
                for campaign, count, revenue in Lead._read_group(
                    domain + extra,
                    ["campaign_id"],
                    ["__count", "expected_revenue:sum"],
                )
            }
            for key, extra in (("leads", []), ("won", won))
        }

    def _statistics_values(self, groups):
        """The funnel of this campaign, from the ``groups`` of _get_statistics."""
        self.ensure_one()
        origin = self._origin
        count, cost, duration = groups["totals"].get(origin, (0, 0.0, 0.0))
        target = groups["targets"].get(origin, 0)
        response = groups["responses"].get(origin, 0)
        opportunity_count, opportunity_value = groups["leads"].get(origin, (0, 0.0))
        won_count, won_revenue = groups["won"].get(origin, (0, 0.0))
        return {
            "interaction_count": count,
            "logged_segment_count": groups["logged"].get(origin, 0),
            "cost_total": cost,
            "duration_total": duration,
            "target_contact_count": target,
            "reached_contact_count": groups["reached"].get(origin, 0),
            "response_contact_count": response,
            "response_rate": 100.0 * response / target if target else 0.0,
            "cost_per_response": cost / response if response else 0.0,
            "duration_per_response": duration / response if response else 0.0,
            "opportunity_count": opportunity_count,
            "opportunity_value": opportunity_value,
            "won_count": won_count,
            "won_revenue": won_revenue,
            **self.env["crm.interaction"]._tracking_values(
                groups["tracking"].get(origin)
            ),
        }

    @api.model
    def _statistics_period(self):
        """The statistics period of the context, checked: (from, to), each a
        date or None (no period: the whole campaign)."""
        context = self.env.context
        date_from, date_to = (
            fields.Date.to_date(context.get(key) or None)
            for key in STATISTICS_PERIOD_KEYS
        )
        self._check_statistics_range(date_from, date_to)
        return date_from, date_to

    @api.depends_context("uid", *STATISTICS_PERIOD_KEYS)
    def _compute_statistics_period(self):
        """The reader's period: the context's when it names one, else the one
        the current user picked for the campaign; none: the whole campaign."""
        saved = {}
        if any(key in self.env.context for key in STATISTICS_PERIOD_KEYS):
            context_period = self._statistics_period()
        else:
            context_period = None
            saved = {
                row.campaign_id.id: (row.date_from, row.date_to)
                for row in self._statistics_period_rows(self._origin.ids)
            }
        for campaign in self:
            date_from, date_to = context_period or saved.get(
                campaign._origin.id, (False, False)
            )
            campaign.statistics_date_from = date_from
            campaign.statistics_date_to = date_to

    def _inverse_statistics_period(self):
        """The period written becomes the current user's for these campaigns:
        other users keep theirs."""
        rows = {
            row.campaign_id.id: row for row in self._statistics_period_rows(self.ids)
        }
        new_rows = []
        for campaign in self:
            values = {
                "date_from": campaign.statistics_date_from,
                "date_to": campaign.statistics_date_to,
            }
            row = rows.get(campaign.id)
            if row and any(values.values()):
                row.write(values)
            elif row:
                row.unlink()
            elif any(values.values()):
                new_rows.append(
                    dict(values, campaign_id=campaign.id, user_id=self.env.uid)
                )
        self.env["crm.campaign.statistics.period"].sudo().create(new_rows)

    def _statistics_period_rows(self, campaign_ids):
        """The current user's periods of ``campaign_ids`` (as superuser: they
        are written through the campaign's fields only)."""
        return (
            self.env["crm.campaign.statistics.period"]
            .sudo()
            .search(
                [("campaign_id", "in", campaign_ids), ("user_id", "=", self.env.uid)]
            )
        )

    @api.depends("statistics_date_from", "statistics_date_to")
    @api.depends_context("uid", *STATISTICS_PERIOD_KEYS)
    def _compute_campaign_statistics(self):
        """The statistics fields, for the reader's statistics period."""
        for campaign, values in self._period_statistics().items():
            campaign.update(values)

    def _period_statistics(self):
        """{campaign: statistics values} for each reader's statistics period;
        zeros for a period that ends before it starts (the constraint refuses
        it on save)."""
        result = {}
        for (date_from, date_to), campaigns in self.grouped(
            lambda c: (c.statistics_date_from, c.statistics_date_to)
        ).items():
            if date_from and date_to and date_to < date_from:
                result.update(
                    dict.fromkeys(campaigns, dict.fromkeys(STATISTICS_FIELDS, 0))
                )
                continue
            statistics = campaigns._get_statistics(date_from, date_to)
            for campaign in campaigns:
                result[campaign] = statistics[campaign._origin.id]
        return result

    def _compute_statistics(self):
        """Odoo's Email Marketing (``mass_mailing``), when installed, defines
        ``opened_ratio`` too and sets it in this method, with its other
        ratios: the opens of this addon's e-mails keep the field, whichever of
        the two computes runs first."""
        parent = getattr(super(), "_compute_statistics", None)
        if parent is None:
            return
        parent()
        for campaign, values in self._period_statistics().items():
            campaign.opened_ratio = values["opened_ratio"]

    def action_print_statistics(self):
        """The statistics PDF. It shows the user's own period by itself; a
        period of the context goes with the report as its parameters."""
        report = self.env.ref("crm_campaign_segment.report_campaign_statistics")
        data = None
        if any(key in self.env.context for key in STATISTICS_PERIOD_KEYS):
            date_from, date_to = self._statistics_period()
            data = {
                "statistics_date_from": fields.Date.to_string(date_from),
                "statistics_date_to": fields.Date.to_string(date_to),
            }
        return report.report_action(self, data=data)

    def action_view_statistics(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_campaign_segment.crm_interaction_action_analysis"
        )
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"search_default_not_canceled": 1}
        return action

    def action_view_link_clicks(self):
        """The clicks on this campaign's tracked links, per link: the link
        tracker's own click report."""
        self.ensure_one()
        return self.env["crm.interaction"]._action_link_clicks(
            [("campaign_id", "=", self.id)]
        )

    # -------------------------------------------------------------------------
    # RESPONSES
    # -------------------------------------------------------------------------
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
    # CAMPAIGN PRICES
    # -------------------------------------------------------------------------
    def _prices_problems(self, targets=True, target_counts=None):
        """What keeps this campaign's prices from being activated."""
        self.ensure_one()
        name = self.display_name
        problems = []
        if not self.pricelist_id:
            problems.append(
                self.env._("Campaign %(campaign)s has no price list.", campaign=name)
            )
        if not (self.date_start and self.date_end):
            problems.append(
                self.env._(
                    "Campaign %(campaign)s needs a start date and an end date: "
                    "its prices apply to orders dated within them.",
                    campaign=name,
                )
            )
        elif self.date_end < self.date_start:
            problems.append(
                self.env._(
                    "Campaign %(campaign)s: the end date (%(end)s) is before the "
                    "start date (%(start)s).",
                    campaign=name,
                    end=self.date_end,
                    start=self.date_start,
                )
            )
        if targets and not (target_counts or {}).get(self.id):
            problems.append(
                self.env._(
                    "Campaign %(campaign)s has no logged segment marked Campaign "
                    "Target (or its interactions are canceled): log one first, its "
                    "contacts' customers become the target group.",
                    campaign=name,
                )
            )
        return problems

    def _target_interaction_domain(self):
        return [
            ("campaign_id", "in", self.ids),
            ("campaign_target", "=", True),
            ("canceled", "=", False),
        ]

    def action_activate_prices(self):
        """Build the target groups and switch the campaign prices on.

        The target group is the commercial partners (customers) of the contacts
        of the campaign's target interactions that are not canceled.  Every
        campaign is checked before anything is written: one error lists all
        the problems, and nothing is activated.  Activating again rebuilds the
        group (contacts of segments logged since are added).
        """
        self._check_prices_manager()
        self.check_access("write")
        counts = {
            campaign.id: count
            for campaign, count in self.env["crm.interaction"]
            .sudo()
            ._read_group(
                self._target_interaction_domain(), ["campaign_id"], ["__count"]
            )
        }
        problems = [
            problem
            for campaign in self
            for problem in campaign._prices_problems(target_counts=counts)
        ]
        if problems:
            raise UserError("\n".join(problems))
        self._build_target_group()
        self.with_context(crm_campaign_prices=PRICES_ENGINE).write(
            {"prices_active": True}
        )
        return True

    def action_deactivate_prices(self):
        """Switch the campaign prices off and remove the target groups."""
        self._check_prices_manager()
        self.check_access("write")
        self.env["crm.campaign.target"].sudo().search(
            [("campaign_id", "in", self.ids)]
        ).unlink()
        self.with_context(crm_campaign_prices=PRICES_ENGINE).write(
            {"prices_active": False}
        )
        return True

    def _check_prices_manager(self):
        """Switching campaign prices on or off is a campaign manager's
        decision, whatever the view shows: over RPC too."""
        if not self.env.user.has_group(
            "crm_campaign_segment.crm_campaign_segment_group_manager"
        ):
            raise AccessError(
                self.env._(
                    "Only campaign managers may activate or deactivate campaign prices."
                )
            )

    def _build_target_group(self):
        """Replace the target groups: the company contacts of the campaigns'
        target interactions (one query reads them), written through
        ``crm.campaign.target``'s own ``unlink`` and ``create``, only what
        changed."""
        if not self:
            return
        Target = self.env["crm.campaign.target"].sudo()
        self.env.flush_all()
        wanted = set(
            self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT interaction.campaign_id,
                           partner.commercial_partner_id
                      FROM crm_interaction interaction
                      JOIN res_partner partner
                        ON partner.id = interaction.partner_id
                     WHERE interaction.campaign_id IN %s
                       AND interaction.campaign_target
                       AND interaction.canceled IS NOT TRUE
                       AND partner.commercial_partner_id IS NOT NULL
                    """,
                    tuple(self.ids),
                )
            )
        )
        existing = Target.search([("campaign_id", "in", self.ids)])
        kept = existing.filtered(
            lambda target: (target.campaign_id.id, target.partner_id.id) in wanted
        )
        (existing - kept).unlink()
        have = {(target.campaign_id.id, target.partner_id.id) for target in kept}
        Target.create(
            [
                {"campaign_id": campaign_id, "partner_id": partner_id}
                for campaign_id, partner_id in sorted(wanted - have)
            ]
        )
        self.invalidate_recordset(["target_ids", "target_count"])

    def action_view_targets(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Target Group"),
            "res_model": "crm.campaign.target",
            "view_mode": "list",
            "domain": [("campaign_id", "=", self.id)],
            "context": {"create": False},
        }

    def action_view_price_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        lines = self.env["sale.order.line"].search(self._price_sale_line_domain())
        action["domain"] = [("id", "in", lines.order_id.ids)]
        action["context"] = {"create": False}
        return action

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
