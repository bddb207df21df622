# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .crm_logged_segment import MANAGER_GROUP

# Fields only the logging engine sets (crm.engine.mixin): canceling goes
# through action_cancel / action_restore, which cascade.
ENGINE_FIELDS = {"canceled", "logged_segment_id"}


class CrmCampaignEntry(models.Model):
    _name = "crm.campaign.entry"
    _inherit = ["crm.cancel.mixin", "crm.tracking.mixin"]
    _description = "Campaign Entry"
    _order = "id desc"
    _check_company_auto = True
    _engine_fields = frozenset(ENGINE_FIELDS)
    _tracking_interaction_field = "campaign_entry_id"

    campaign_id = fields.Many2one("utm.campaign", required=True, index=True)
    logged_segment_id = fields.Many2one(
        "crm.logged.segment",
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    date = fields.Datetime(default=fields.Datetime.now)
    description = fields.Char()
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    interaction_ids = fields.One2many(
        "crm.interaction", "campaign_entry_id", string="Interactions"
    )
    interaction_count = fields.Integer(compute="_compute_totals")
    cost = fields.Float(compute="_compute_totals", digits="Product Price")
    duration = fields.Float(compute="_compute_totals")
    canceled = fields.Boolean(readonly=True)
    # the response funnel of the entry
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

    _sql_constraints = [
        (
            "campaign_logged_segment_unique",
            "UNIQUE(campaign_id, logged_segment_id)",
            "A logged segment has one campaign entry per campaign.",
        ),
    ]

    def _compute_totals(self):
        totals = {
            entry: (count, cost, duration)
            for entry, count, cost, duration in self.env["crm.interaction"]._read_group(
                [("campaign_entry_id", "in", self.ids)],
                ["campaign_entry_id"],
                ["__count", "cost:sum", "duration:sum"],
            )
        }
        for entry in self:
            entry.interaction_count, entry.cost, entry.duration = totals.get(
                entry._origin, (0, 0.0, 0.0)
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

    @api.depends("campaign_id", "logged_segment_id")
    def _compute_display_name(self):
        for entry in self:
            entry.display_name = " - ".join(
                name
                for name in (
                    entry.campaign_id.display_name,
                    entry.logged_segment_id.display_name,
                )
                if name
            )

    def _engine_fields_error(self, fnames):
        return self.env._(
            "Campaign entry %(entry)s: %(fields)s can only be set by "
            "logging a segment or with Cancel and Restore.",
            entry=self[:1].display_name or self._description,
            fields=self._engine_field_labels(fnames),
        )

    # -------------------------------------------------------------------------
    # CANCEL / RESTORE
    # -------------------------------------------------------------------------
    def _check_cancel_access(self):
        """Canceling cascades over every interaction of the entry: the same
        right as canceling its logged segment."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._(
                    "Campaign entry %(entry)s: only campaign managers can cancel "
                    "or restore campaign entries.",
                    entry=self[:1].display_name,
                )
            )

    def _cancel_state_error(self, cancel):
        if cancel:
            return self.env._(
                "Campaign entry %(entry)s is canceled already.",
                entry=self.display_name,
            )
        return self.env._(
            "Campaign entry %(entry)s is not canceled: there is nothing to restore.",
            entry=self.display_name,
        )

    def _check_restorable(self):
        """Not while the logged segment is canceled."""
        blocked = self.filtered(lambda entry: entry.logged_segment_id.canceled)
        if blocked:
            raise UserError(
                self.env._(
                    "Campaign entry %(entry)s cannot be restored while its logged "
                    "segment is canceled.",
                    entry=blocked[:1].display_name,
                )
            )

    def _cancel_cascade(self, canceled):
        """The entry's interactions; the e-mails of those interactions still
        waiting in the queue are canceled too."""
        self.interaction_ids._set_canceled(canceled, cascade=True)
