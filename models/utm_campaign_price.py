# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

# Marks the writes of action_activate_prices / action_deactivate_prices: a
# module object, which no RPC client can put in a context.
PRICES_ENGINE = object()


class UtmCampaign(models.Model):
    _inherit = "utm.campaign"

    # `sale` gives the company a default; this addon sets it in create() and
    # keeps campaigns created without one shared (models/utm_campaign.py)
    company_id = fields.Many2one(default=None)
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

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------
    def _compute_target_count(self):
        counts = dict(
            self.env["crm.campaign.target"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id"], ["__count"]
            )
        )
        for campaign in self:
            campaign.target_count = counts.get(campaign._origin, 0)

    def _compute_price_revenue(self):
        totals = {
            campaign: (amount, orders)
            for campaign, amount, orders in self.env["sale.order.line"]
            .sudo()
            ._read_group(
                self._price_sale_line_domain(),
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
    # CONSTRAINTS / ORM overrides
    # -------------------------------------------------------------------------
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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_prices_written(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_prices_written(vals)
        return super().write(vals)

    # -------------------------------------------------------------------------
    # ACTIONS
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
        self.check_access("write")
        self.env["crm.campaign.target"].sudo().search(
            [("campaign_id", "in", self.ids)]
        ).unlink()
        self.with_context(crm_campaign_prices=PRICES_ENGINE).write(
            {"prices_active": False}
        )
        return True

    def _build_target_group(self):
        """Replace the target groups, set-based: one DELETE, one INSERT."""
        if not self:
            return
        Target = self.env["crm.campaign.target"]
        self.env.flush_all()
        ids = tuple(self.ids)
        self.env.execute_query(
            SQL("DELETE FROM crm_campaign_target WHERE campaign_id IN %s", ids)
        )
        self.env.execute_query(
            SQL(
                """
                INSERT INTO crm_campaign_target
                       (campaign_id, partner_id, create_uid, write_uid,
                        create_date, write_date)
                SELECT DISTINCT interaction.campaign_id,
                       partner.commercial_partner_id,
                       %(uid)s, %(uid)s,
                       NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
                  FROM crm_interaction interaction
                  JOIN res_partner partner ON partner.id = interaction.partner_id
                 WHERE interaction.campaign_id IN %(ids)s
                   AND interaction.campaign_target
                   AND interaction.canceled IS NOT TRUE
                   AND partner.commercial_partner_id IS NOT NULL
                """,
                uid=self.env.uid,
                ids=ids,
            )
        )
        Target.invalidate_model()
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
