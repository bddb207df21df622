# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .crm_interaction_template import INFORMATION_FLOWS, INITIATED_BY, _lang_get
from .crm_segment_line import EVALUATIONS
from .res_partner import CORRESPONDENCE_TYPES

# Fields only the logging engine writes (as superuser): delivery, links to
# what was logged, and canceling (action_cancel / action_restore, cascading)
ENGINE_FIELDS = {
    "attachment_id",
    "body_html",
    "campaign_entry_id",
    "canceled",
    "delivery_error",
    "delivery_status",
    "logged_segment_id",
    "mail_id",
    "segment_line_id",
}
# Values of engine fields a new interaction may be given (what the form sends)
ENGINE_FIELD_DEFAULTS = {"delivery_status": "none"}

DELIVERY_STATUSES = [
    ("none", "No Delivery"),
    ("in_progress", "In Progress"),
    ("delivered", "Delivered"),
    ("error", "Error"),
]


class CrmInteraction(models.Model):
    _name = "crm.interaction"
    _description = "Interaction Log Entry"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Entry No.", compute="_compute_name", store=True)
    partner_id = fields.Many2one(
        "res.partner", string="Contact", required=True, index=True, tracking=True
    )
    company_partner_id = fields.Many2one(
        "res.partner", string="Company Contact", index=True
    )
    date = fields.Datetime(default=fields.Datetime.now, required=True, index=True)
    template_id = fields.Many2one(
        "crm.interaction.template",
        string="Interaction Template",
        index=True,
        check_company=True,
    )
    group_id = fields.Many2one(
        related="template_id.group_id", store=True, string="Interaction Group"
    )
    description = fields.Char()
    subject = fields.Char()
    lang = fields.Selection(_lang_get, string="Language")
    cost = fields.Float(digits="Product Price")
    duration = fields.Float(help="Time spent, in hours.")
    information_flow = fields.Selection(INFORMATION_FLOWS)
    initiated_by = fields.Selection(INITIATED_BY)
    correspondence_type = fields.Selection(CORRESPONDENCE_TYPES)
    campaign_id = fields.Many2one("utm.campaign", index="btree_not_null")
    campaign_target = fields.Boolean()
    campaign_response = fields.Boolean()
    logged_segment_id = fields.Many2one(
        "crm.logged.segment",
        # searched through the unique index (logged segment, segment line)
        index=False,
        ondelete="cascade",
        check_company=True,
        readonly=True,
    )
    campaign_entry_id = fields.Many2one(
        "crm.campaign.entry",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    segment_line_id = fields.Many2one(
        "crm.segment.line",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    evaluation = fields.Selection(EVALUATIONS, tracking=True)
    # written set-based by the mail queue (_set_delivery_status): not tracked
    delivery_status = fields.Selection(
        DELIVERY_STATUSES, default="none", required=True, readonly=True
    )
    delivery_error = fields.Text(readonly=True)
    mail_id = fields.Many2one(
        "mail.mail",
        string="E-mail",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
    )
    attachment_id = fields.Many2one(
        "ir.attachment",
        string="Document",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
    )
    canceled = fields.Boolean(tracking=True, readonly=True)
    lead_id = fields.Many2one("crm.lead", string="Opportunity", index="btree_not_null")
    user_id = fields.Many2one(
        "res.users", string="Salesperson", default=lambda self: self.env.user
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    body_html = fields.Html(
        string="Letter Body",
        sanitize="email_outgoing",
        readonly=True,
        help="The letter as it was merged for the contact when the segment was "
        "logged; the printed letter shows it.",
    )

    def init(self):
        res = super().init()
        # Exactly once: a segment line is logged at most once per logged segment,
        # whatever crashes or concurrent jobs happen (NULLs are distinct).  Also
        # the index of the logged segment's interactions.  Every index costs
        # each logged line a write: the interactions have only those searched.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS crm_interaction_logged_line_key
                ON crm_interaction (logged_segment_id, segment_line_id);
            DROP INDEX IF EXISTS crm_interaction_logged_line_uniq
            """
        )
        return res

    @api.depends("partner_id", "template_id")
    def _compute_name(self):
        for interaction in self:
            interaction.name = " - ".join(
                part
                for part in (
                    interaction.template_id.code,
                    interaction.partner_id.name,
                )
                if part
            )

    @api.onchange("template_id")
    def _onchange_template_id(self):
        template = self.template_id
        if not template:
            return
        self.update(
            {
                "description": template.name,
                "cost": template.unit_cost,
                "duration": template.unit_duration,
                "information_flow": template.information_flow,
                "initiated_by": template.initiated_by,
                "correspondence_type": template.correspondence_type,
                "campaign_id": template.campaign_id.id or self.campaign_id.id,
                "campaign_target": template.campaign_target,
                "campaign_response": template.campaign_response,
            }
        )

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        self.company_partner_id = self.partner_id.commercial_partner_id

    @api.model_create_multi
    def create(self, vals_list):
        # the company contacts of the whole batch in one read
        partners = self.env["res.partner"].browse(
            {
                vals["partner_id"]
                for vals in vals_list
                if vals.get("partner_id") and not vals.get("company_partner_id")
            }
        )
        for vals in vals_list:
            self._check_engine_fields(
                [
                    fname
                    for fname in ENGINE_FIELDS & set(vals)
                    if vals[fname] and vals[fname] != ENGINE_FIELD_DEFAULTS.get(fname)
                ]
            )
            if vals.get("partner_id") and not vals.get("company_partner_id"):
                partner = partners.browse(vals["partner_id"]).with_prefetch(
                    partners.ids
                )
                vals["company_partner_id"] = partner.commercial_partner_id.id
        return super().create(vals_list)

    def write(self, vals):
        self._check_engine_fields(ENGINE_FIELDS & set(vals))
        if vals.get("canceled") is False:
            # whoever writes (an automated action runs as superuser): the
            # cascades restore the logged segment and campaign entry first
            self._check_restorable()
        return super().write(vals)

    def _check_restorable(self):
        blocked = self.filtered(
            lambda i: i.logged_segment_id.canceled or i.campaign_entry_id.canceled
        )
        if blocked:
            raise UserError(
                self.env._(
                    "Interaction %(interaction)s cannot be restored while its "
                    "logged segment or campaign entry is canceled.",
                    interaction=blocked[:1].display_name,
                )
            )

    def _check_engine_fields(self, fnames):
        """Refuse the engine's fields to anyone but the engine (superuser)."""
        if not fnames or self.env.su:
            return
        raise AccessError(
            self.env._(
                "Interaction %(interaction)s: %(fields)s can only be set by "
                "logging a segment, by the mail queue or with Cancel and Restore.",
                interaction=self[:1].display_name or self.env._("New Interaction"),
                fields=", ".join(
                    self._fields[fname].get_description(self.env)["string"]
                    for fname in sorted(fnames)
                ),
            )
        )

    # -------------------------------------------------------------------------
    # CANCEL / RESTORE
    # -------------------------------------------------------------------------
    def action_cancel(self):
        """Cancel these interactions and their e-mails still queued."""
        canceled = self.filtered("canceled")
        if canceled:
            raise UserError(
                self.env._(
                    "Interaction %(interaction)s is canceled already.",
                    interaction=canceled[:1].display_name,
                )
            )
        self.check_access("write")
        self._set_canceled(True)
        return True

    def action_restore(self):
        """Restore canceled interactions whose logged segment and campaign
        entry are not canceled."""
        active = self.filtered(lambda i: not i.canceled)
        if active:
            raise UserError(
                self.env._(
                    "Interaction %(interaction)s is not canceled: there is "
                    "nothing to restore.",
                    interaction=active[:1].display_name,
                )
            )
        self._check_restorable()
        self.check_access("write")
        self._set_canceled(False)
        return True

    def _set_canceled(self, canceled, cascade=False):
        """Cancel (or restore) these interactions, once the caller checked
        the user's rights; canceling also cancels their e-mails still queued.
        ``cascade``: done by canceling their logged segment or campaign entry,
        in one statement, without a tracking message per interaction."""
        if not self:
            return
        records = self.sudo()
        if cascade:
            records = records.with_context(tracking_disable=True)
        records.write({"canceled": canceled})
        if canceled:
            self._cancel_outgoing_mails()

    def _cancel_outgoing_mails(self):
        """Cancel the e-mails of these interactions that are still queued.

        Their delivery ends in error ("canceled before it was sent"): once
        restored, the interaction can be resent.
        """
        mails = self.sudo().mail_id.filtered(lambda mail: mail.state == "outgoing")
        if not mails:
            return
        mails.cancel()
        self.filtered(lambda i: i.sudo().mail_id in mails)._set_delivery_status(
            "error", self.env._("Canceled before the e-mail was sent.")
        )

    # -------------------------------------------------------------------------
    # DELIVERY
    # -------------------------------------------------------------------------
    def _set_delivery_status(self, status, error=False):
        """Set the delivery status of many interactions in one statement.

        Done in SQL so that the mail queue, which updates thousands of
        interactions, neither loops nor posts a tracking message per record.
        """
        if not self.ids:
            return
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                UPDATE crm_interaction
                   SET delivery_status = %s, delivery_error = %s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                 WHERE id IN %s
                """,
                status,
                error or None,
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(["delivery_status", "delivery_error"])

    def _message_receive_bounce(self, email, partner):
        """A bounce of the e-mail of an interaction marks its delivery as failed."""
        res = super()._message_receive_bounce(email, partner)
        self.filtered(lambda i: i.correspondence_type == "email")._set_delivery_status(
            "error",
            self.env._("The e-mail to %(email)s bounced.", email=email),
        )
        return res
