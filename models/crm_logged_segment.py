# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError


class CrmLoggedSegment(models.Model):
    _name = "crm.logged.segment"
    _description = "Logged Segment"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="Entry No.", readonly=True, copy=False, index=True)
    segment_id = fields.Many2one(
        "crm.segment", string="Segment", readonly=True, index=True, ondelete="set null"
    )
    description = fields.Char()
    date = fields.Datetime(default=fields.Datetime.now, readonly=True)
    user_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, readonly=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    interaction_ids = fields.One2many(
        "crm.interaction", "logged_segment_id", string="Interactions"
    )
    campaign_entry_ids = fields.One2many(
        "crm.campaign.entry", "logged_segment_id", string="Campaign Entries"
    )
    interaction_count = fields.Integer(compute="_compute_counts")
    campaign_entry_count = fields.Integer(compute="_compute_counts")
    canceled = fields.Boolean(readonly=True, tracking=True)

    _sql_constraints = [
        (
            "name_company_unique",
            "UNIQUE(name, company_id)",
            "A logged segment with this entry number already exists.",
        ),
    ]

    def _compute_counts(self):
        interactions = dict(
            self.env["crm.interaction"]._read_group(
                [("logged_segment_id", "in", self.ids)],
                ["logged_segment_id"],
                ["__count"],
            )
        )
        entries = dict(
            self.env["crm.campaign.entry"]._read_group(
                [("logged_segment_id", "in", self.ids)],
                ["logged_segment_id"],
                ["__count"],
            )
        )
        for logged in self:
            logged.interaction_count = interactions.get(logged._origin, 0)
            logged.campaign_entry_count = entries.get(logged._origin, 0)

    @api.depends("name", "description")
    def _compute_display_name(self):
        for logged in self:
            logged.display_name = " ".join(
                part for part in (logged.name, logged.description) if part
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("name"):
                vals["name"] = self.env["ir.sequence"].next_by_code(
                    "crm.logged.segment"
                )
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_canceled(self):
        if self.filtered(lambda logged: not logged.canceled):
            raise UserError(
                _("Only canceled logged segments can be deleted. Cancel it first.")
            )

    def _check_manager(self):
        if not self.env.user.has_group(
            "crm_campaign_segment.crm_campaign_segment_group_manager"
        ):
            raise AccessError(
                _("Only campaign managers can cancel logged segments.")
            )

    def action_cancel(self):
        """Cancel the logged segments (or restore them), cascading."""
        self._check_manager()
        for logged in self:
            canceled = not logged.canceled
            logged.write({"canceled": canceled})
            logged.campaign_entry_ids.with_context(crm_cancel_cascade=True).write(
                {"canceled": canceled}
            )
            logged.interaction_ids.with_context(crm_cancel_cascade=True).write(
                {"canceled": canceled}
            )
        return True

    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_campaign_segment.crm_interaction_action"
        )
        action["domain"] = [("logged_segment_id", "=", self.id)]
        return action
