# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crm_interaction_template import INFORMATION_FLOWS, INITIATED_BY, _lang_get
from .crm_segment_line import EVALUATIONS
from .res_partner import CORRESPONDENCE_TYPES

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
    campaign_id = fields.Many2one("utm.campaign", index=True)
    campaign_target = fields.Boolean()
    campaign_response = fields.Boolean(index=True)
    logged_segment_id = fields.Many2one(
        "crm.logged.segment",
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    campaign_entry_id = fields.Many2one(
        "crm.campaign.entry", index=True, ondelete="set null"
    )
    segment_line_id = fields.Many2one(
        "crm.segment.line", index=True, ondelete="set null"
    )
    evaluation = fields.Selection(EVALUATIONS, tracking=True)
    delivery_status = fields.Selection(
        DELIVERY_STATUSES, default="none", required=True, tracking=True
    )
    delivery_error = fields.Text()
    mail_id = fields.Many2one(
        "mail.mail", string="E-mail", ondelete="set null", index="btree_not_null"
    )
    attachment_id = fields.Many2one(
        "ir.attachment",
        string="Document",
        ondelete="set null",
        index="btree_not_null",
    )
    canceled = fields.Boolean(tracking=True, index=True)
    lead_id = fields.Many2one("crm.lead", string="Opportunity", index=True)
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
        # whatever crashes or concurrent jobs happen.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS crm_interaction_logged_line_uniq
                ON crm_interaction (logged_segment_id, segment_line_id)
             WHERE segment_line_id IS NOT NULL
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
        for vals in vals_list:
            if vals.get("partner_id") and "company_partner_id" not in vals:
                partner = self.env["res.partner"].browse(vals["partner_id"])
                vals["company_partner_id"] = partner.commercial_partner_id.id
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("canceled") is False and not self.env.context.get(
            "crm_cancel_cascade"
        ):
            blocked = self.filtered(
                lambda i: i.logged_segment_id.canceled or i.campaign_entry_id.canceled
            )
            if blocked:
                raise UserError(
                    _(
                        "Interaction %(interaction)s cannot be restored while its "
                        "logged segment or campaign entry is canceled.",
                        interaction=blocked[:1].display_name,
                    )
                )
        return super().write(vals)

    def action_cancel(self):
        """Cancel the interactions, or restore canceled ones."""
        for canceled, interactions in (
            (True, self.filtered(lambda i: not i.canceled)),
            (False, self.filtered("canceled")),
        ):
            interactions._set_canceled(canceled)
        return True

    def _set_canceled(self, canceled, cascade=False):
        """Cancel (or restore) these interactions; canceling also cancels
        their e-mails still queued. ``cascade``: done by canceling their
        logged segment or campaign entry, in one statement per model."""
        if not self:
            return
        records = self
        if cascade:
            records = self.with_context(crm_cancel_cascade=True, tracking_disable=True)
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
            "error", _("Canceled before the e-mail was sent.")
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
            _("The e-mail to %(email)s bounced.", email=email),
        )
        return res
