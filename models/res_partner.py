# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import time
from datetime import timezone
from urllib.parse import urlencode

from odoo import api, fields, models
from odoo.tools import consteq, email_normalize
from odoo.tools.misc import hmac

from ..tools.markers import as_engine, is_engine

CORRESPONDENCE_TYPES = [
    ("email", "E-mail"),
    ("hard_copy", "Hard Copy"),
]
TOKEN_SCOPE = "crm_campaign_segment-unsubscribe"
UNSUBSCRIBE_ROUTE = "/crm_campaign_segment/unsubscribe"
# context key of the addon's own consent writes (logged by their caller)


class ResPartner(models.Model):
    _inherit = "res.partner"

    job_responsibility_ids = fields.Many2many(
        "crm.job.responsibility",
        "crm_job_responsibility_partner_rel",
        "partner_id",
        "job_responsibility_id",
        string="Job Responsibilities",
    )
    business_relation_ids = fields.Many2many(
        "crm.business.relation",
        "crm_business_relation_partner_rel",
        "partner_id",
        "business_relation_id",
        string="Business Relations",
        help="Business relations of a company; its persons match through it.",
    )
    mailing_group_ids = fields.Many2many(
        "crm.mailing.group",
        "crm_mailing_group_partner_rel",
        "partner_id",
        "mailing_group_id",
        string="Mailing Groups",
    )
    correspondence_type = fields.Selection(
        CORRESPONDENCE_TYPES,
        string="Preferred Correspondence",
        help="How this contact prefers to receive letters from campaigns.",
    )
    exclude_from_segment = fields.Boolean(
        string="Exclude from Segments",
        help="Contacts marked here are left out when contacts are added to a "
        "segment, unless the filter says to ignore the exclusion.",
    )
    interaction_ids = fields.One2many(
        "crm.interaction", "partner_id", string="Interactions"
    )
    interaction_count = fields.Integer(compute="_compute_interaction_count")
    opt_out_mailing_group_ids = fields.Many2many(
        "crm.mailing.group",
        "crm_mailing_group_opt_out_rel",
        "partner_id",
        "mailing_group_id",
        string="Opted Out of Topics",
        help="Campaign e-mails whose interaction template has one of these "
        "topics are not sent to this contact.",
    )
    consent_log_ids = fields.One2many("crm.consent.log", "partner_id", readonly=True)
    campaign_target_ids = fields.One2many(
        "crm.campaign.target",
        "partner_id",
        string="Campaign Target Groups",
        readonly=True,
        help="The campaigns whose prices this customer gets while they are active.",
    )
    segment_line_ids = fields.One2many(
        "crm.segment.line", "partner_id", string="Segment Lines", readonly=True
    )

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------
    def _compute_interaction_count(self):
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.interaction_count = counts.get(partner._origin, 0)

    # -------------------------------------------------------------------------
    # ORM overrides: manual changes are logged
    # -------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        if not is_engine(self.env):
            # new contacts had no opt-outs before
            partners.filtered("opt_out_mailing_group_ids")._consent_log_changes({})
        return partners

    def write(self, vals):
        # the engine logs its own changes; a context key sent by a client
        # cannot skip the log (tools.markers)
        if "opt_out_mailing_group_ids" not in vals or is_engine(self.env):
            return super().write(vals)
        before = {partner: partner.sudo().opt_out_mailing_group_ids for partner in self}
        result = super().write(vals)
        self._consent_log_changes(before)
        return result

    def _consent_log_changes(self, before):
        """Log the topics opted out of or back in since ``before``."""
        source = "import" if self.env.context.get("import_file") else "manual"
        vals_list = []
        for partner in self:
            old = before.get(partner, self.env["crm.mailing.group"])
            new = partner.sudo().opt_out_mailing_group_ids
            for action, groups in (("opt_out", new - old), ("opt_in", old - new)):
                vals_list += [
                    {
                        "partner_id": partner.id,
                        "email": partner.email_normalized or partner.email,
                        "mailing_group_id": group.id,
                        "action": action,
                        "source": source,
                    }
                    for group in groups
                ]
        if vals_list:
            self.env["crm.consent.log"]._record(vals_list)

    def init(self):
        res = super().init()
        # contacts by address: one e-mail per address, opt-outs per address
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS res_partner_email_normalized_crm_idx
                ON res_partner (email_normalized)
             WHERE email_normalized IS NOT NULL
            """
        )
        return res

    # -------------------------------------------------------------------------
    # UNSUBSCRIBE LINKS
    # -------------------------------------------------------------------------
    def _consent_token(self, email, topic_id, issued):
        """HMAC of contact, address, topic and issue time (database secret)."""
        self.ensure_one()
        sign = self._consent_signer()
        return sign(self.id, email_normalize(email or "") or "", topic_id, issued)[1]

    @api.model
    def _consent_signer(self):
        """A function signing many unsubscribe links, the base URL computed
        once per website and company (logging signs one link per e-mail).

        The function takes (contact id, normalized address, topic id, issue
        time as a Unix timestamp or a naive UTC datetime) and returns (URL,
        token).
        """
        env = self.env(su=True)
        bases = {}

        def base_url(partner_id):
            # what get_base_url() may depend on: the website, else the company
            partner = self.browse(partner_id)
            key = tuple(
                partner[name].id
                for name in ("website_id", "company_id")
                if name in partner._fields
            )
            if key not in bases:
                bases[key] = partner.get_base_url()
            return bases[key]

        def sign(partner_id, email, topic_id, issued=None):
            if issued is None:
                issued = time.time()
            elif not isinstance(issued, int | float):
                issued = issued.replace(tzinfo=timezone.utc).timestamp()
            issued = int(issued)
            token = hmac(env, TOKEN_SCOPE, (partner_id, email, topic_id or 0, issued))
            query = urlencode(
                {
                    "partner_id": partner_id,
                    "email": email,
                    "topic": topic_id or 0,
                    "ts": issued,
                    "token": token,
                }
            )
            return f"{base_url(partner_id)}{UNSUBSCRIBE_ROUTE}?{query}", token

        return sign

    def _consent_unsubscribe_url(self, email, topic=None, issued=None):
        """The signed unsubscribe URL of this contact for ``email``.

        :param datetime issued: when the link is issued (its validity starts
            then); now by default
        """
        self.ensure_one()
        sign = self._consent_signer()
        email = email_normalize(email or "") or ""
        return sign(self.id, email, topic.id if topic else 0, issued)[0]

    @api.model
    def _consent_check_token(self, partner_id, email, topic_id, issued, token):
        """The contact of a valid link, else an empty recordset.

        Valid: the signature matches, the link is not older than
        ``crm_campaign_segment.unsubscribe_validity_days`` (365 by default), and
        the address is still the contact's.
        """
        try:
            partner_id, topic_id, issued = int(partner_id), int(topic_id), int(issued)
        except (TypeError, ValueError):
            return self.browse()
        partner = self.sudo().browse(partner_id).exists()
        if not partner or not token or not isinstance(token, str):
            return self.browse()
        expected = partner._consent_token(email, topic_id, issued)
        if not consteq(expected, token):
            return self.browse()
        params = self.env["ir.config_parameter"].sudo()
        days = int(
            params.get_param("crm_campaign_segment.unsubscribe_validity_days", 365)
        )
        if issued > time.time() + 300 or time.time() - issued > days * 86400:
            return self.browse()
        own = partner.email_normalized or email_normalize(partner.email or "")
        if not email or own != email_normalize(email):
            return self.browse()
        return partner

    # -------------------------------------------------------------------------
    # OPT-OUT
    # -------------------------------------------------------------------------
    def _consent_opt_out(self, email, topic=None, source="link", reason=None):
        """Opt ``email`` out of ``topic``, or blacklist it when there is none.

        Every contact with that address is opted out of the topic (the
        address unsubscribed, whichever contact the e-mail was written to).
        Opting out again changes nothing and logs nothing.

        :return: the consent log rows written
        """
        email = email_normalize(email or "")
        if not email:
            return self.env["crm.consent.log"]
        partners = (
            self.sudo()
            .with_context(active_test=False)
            .search([("email_normalized", "=", email)])
        ) | self.sudo()
        vals = {
            "email": email,
            "action": "opt_out",
            "source": source,
            "reason": reason or False,
        }
        if topic:
            todo = partners.filtered(
                lambda partner: topic not in partner.opt_out_mailing_group_ids
            )
            as_engine(todo).write({"opt_out_mailing_group_ids": [(4, topic.id)]})
            return self.env["crm.consent.log"]._record(
                [
                    dict(vals, partner_id=partner.id, mailing_group_id=topic.id)
                    for partner in todo
                ]
            )
        Blacklist = self.env["mail.blacklist"].sudo().with_context(active_test=False)
        if Blacklist.search([("email", "=", email), ("active", "=", True)]):
            return self.env["crm.consent.log"]
        as_engine(Blacklist)._add(email)
        return self.env["crm.consent.log"]._record(
            [dict(vals, partner_id=partner.id) for partner in partners]
        )

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------
    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_campaign_segment.crm_interaction_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    def action_register_campaign_response(self, campaign_id, evaluation=None):
        """Register a response of this contact to a campaign (by its id).

        The response answers the latest campaign interaction sent to the
        contact (or, for a company, to one of its persons).  Returns the ids of
        the new responses.
        """
        self.ensure_one()
        campaign = self.env["utm.campaign"].browse(campaign_id).exists()
        return self.env["crm.interaction"]._register_partner_response(
            self, campaign, evaluation=evaluation
        )

    # -------------------------------------------------------------------------
    # ADDRESS LABELS
    # -------------------------------------------------------------------------
    def _get_label_lines(self):
        """Name, then the address in the format of the contact's country."""
        self.ensure_one()
        # a person's address starts with its company's name
        address = self._display_address(
            without_company=self.commercial_partner_id == self
        )
        lines = [self.name or ""]
        lines += [line.strip() for line in address.split("\n") if line.strip()]
        return lines
