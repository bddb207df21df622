# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .crm_logged_segment import MANAGER_GROUP, field_labels

# Fields only the logging engine (as superuser) or a campaign manager may set
# directly: canceling goes through action_cancel, which cascades.
MANAGER_FIELDS = {"canceled", "logged_segment_id"}


class CrmCampaignEntry(models.Model):
    _name = "crm.campaign.entry"
    _description = "Campaign Entry"
    _order = "id desc"
    _check_company_auto = True

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

    def _check_protected_fields(self, fields_written):
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        refused = set(fields_written) & MANAGER_FIELDS
        if refused:
            raise AccessError(
                _(
                    "Campaign entries: %(fields)s can only be set by logging a "
                    "segment or with Cancel.",
                    fields=field_labels(self, refused),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_protected_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_protected_fields(vals)
        return super().write(vals)

    def action_cancel(self):
        """Cancel the campaign entries (or restore them), cascading.

        The e-mails of canceled interactions still waiting in the queue are
        canceled too.
        """
        for entry in self:
            canceled = not entry.canceled
            if not canceled and entry.logged_segment_id.canceled:
                raise UserError(
                    _(
                        "The campaign entry of %(campaign)s cannot be restored while "
                        "its logged segment is canceled.",
                        campaign=entry.campaign_id.display_name,
                    )
                )
            entry.check_access("write")
            # protected field, written after the checks above
            entry.sudo().write({"canceled": canceled})
            entry.interaction_ids._set_canceled(canceled, cascade=True)
        return True
