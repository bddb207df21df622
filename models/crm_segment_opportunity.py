# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Opportunities from a segment: one per line's contact, on the campaign."""

from collections import defaultdict
from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

MEDIUM_BY_CORRESPONDENCE = {
    "email": "utm.utm_medium_email",
    "hard_copy": "utm.utm_medium_direct",
}
OPPORTUNITY_BATCH = 1000
ADDRESS_FIELDS = ["street", "street2", "city", "zip", "state_id", "country_id"]
# contact fields crm.lead copies onto an opportunity when it is created
PARTNER_VALUES_FIELDS = [
    "is_company",
    "company_name",
    "function",
    "title",
    "mobile",
    "lang",
    "email",
    "phone",
    *ADDRESS_FIELDS,
]


class CrmSegment(models.Model):
    _inherit = "crm.segment"

    source_id = fields.Many2one(
        "utm.source",
        readonly=True,
        copy=False,
        help="Source of the opportunities created from this segment.",
    )

    def _opportunity_medium(self, correspondence_type):
        xmlid = MEDIUM_BY_CORRESPONDENCE.get(correspondence_type)
        medium = xmlid and self.env.ref(xmlid, raise_if_not_found=False)
        return medium or self.env["utm.medium"]

    def _opportunity_source(self):
        self.ensure_one()
        if not self.source_id:
            self.sudo().source_id = (
                self.env["utm.source"]
                .sudo()
                .create({"name": " ".join(filter(None, (self.name, self.description)))})
            )
        return self.source_id

    def _create_opportunities(self):
        """Create one opportunity per line's contact on the segment's campaign.

        The opportunity's contact is the line's contact: a person keeps its
        company as Odoo's commercial partner (the opportunity shows both), a
        company line gets the company.  Campaign, source (the segment) and
        medium (the line's correspondence type) are set, with the line's
        salesperson, that salesperson's team and a to-do activity to follow
        up.  Contacts that already have an open opportunity on the campaign
        are skipped.  Returns the new opportunities and the skipped contacts.
        """
        self.ensure_one()
        if not self.campaign_id:
            raise UserError(
                self.env._(
                    "Segment %(segment)s has no campaign: set one before creating "
                    "opportunities.",
                    segment=self.display_name,
                )
            )
        self.check_access("read")
        Lead = self.env["crm.lead"]
        Lead.check_access("create")
        campaign = self.campaign_id
        self.env["crm.segment.line"].flush_model(
            ["segment_id", "partner_id", "user_id", "correspondence_type"]
        )
        self.env["res.partner"].flush_model(
            ["name", "parent_id", *PARTNER_VALUES_FIELDS]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT l.partner_id, l.user_id, l.correspondence_type, p.name,
                       p.is_company, parent.name, p.company_name, p.function,
                       p.title, p.mobile, p.lang, p.email, p.phone, p.street,
                       p.street2, p.city, p.zip, p.state_id, p.country_id
                  FROM crm_segment_line l
                  JOIN res_partner p ON p.id = l.partner_id
                  LEFT JOIN res_partner parent ON parent.id = p.parent_id
                 WHERE l.segment_id = %s
                 ORDER BY l.id
                """,
                self.id,
            )
        )
        if not rows:
            raise UserError(
                self.env._(
                    "Segment %(segment)s has no contacts.", segment=self.display_name
                )
            )
        # open opportunities of these contacts on the campaign, whoever owns them
        open_partner_ids = {
            partner.id
            for [partner] in Lead.sudo()._read_group(
                [
                    ("type", "=", "opportunity"),
                    ("campaign_id", "=", campaign.id),
                    ("partner_id", "in", [row[0] for row in rows]),
                    ("stage_id.is_won", "=", False),
                ],
                ["partner_id"],
            )
        }
        skipped_ids = [row[0] for row in rows if row[0] in open_partner_ids]
        todo = [row for row in rows if row[0] not in open_partner_ids]
        source = self._opportunity_source()
        # team and first stage once per salesperson, medium once per type
        teams, stages, media = {}, {}, {}
        Team = self.env["crm.team"]
        title = campaign.title or campaign.name or ""
        vals_by_stage = defaultdict(list)
        lang_ids = {}
        for row in todo:
            partner_id, user_id, correspondence_type, partner_name = row[:4]
            user_id = user_id or self.user_id.id
            if user_id not in teams:
                teams[user_id] = Team._get_default_team_id(
                    user_id=user_id, domain=[("use_opportunities", "=", True)]
                ).id
            team_id = teams[user_id]
            if team_id not in stages:
                stages[team_id] = Lead._stage_find(
                    team_id=team_id, domain=[("fold", "=", False)]
                )
            if correspondence_type not in media:
                media[correspondence_type] = self._opportunity_medium(
                    correspondence_type
                ).id
            vals_by_stage[stages[team_id]].append(
                {
                    "name": f"{title} - {partner_name}",
                    "type": "opportunity",
                    "partner_id": partner_id,
                    "campaign_id": campaign.id,
                    "source_id": source.id,
                    "medium_id": media[correspondence_type],
                    "user_id": user_id or False,
                    "team_id": team_id or False,
                    "company_id": self.company_id.id,
                    **self._opportunity_partner_values(row[3:], lang_ids),
                }
            )
        quiet = Lead.with_context(
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_notrack=True,
        )
        leads = Lead
        for stage, vals_list in vals_by_stage.items():
            if stage.is_won:
                # crm.lead counts leads created won in its scoring tables
                creator = quiet
                for vals in vals_list:
                    vals["stage_id"] = stage.id
            else:
                # the stage as a default: crm.lead's create then skips its
                # per-lead won/lost bookkeeping, which has nothing to count
                creator = quiet.with_context(default_stage_id=stage.id)
            for start in range(0, len(vals_list), OPPORTUNITY_BATCH):
                leads |= creator.create(vals_list[start : start + OPPORTUNITY_BATCH])
        leads = leads.with_env(self.env)
        self._create_opportunity_activities(leads)
        return leads, self.env["res.partner"].browse(skipped_ids)

    def _opportunity_partner_values(self, partner_row, lang_ids):
        """What crm.lead computes from the contact of a new opportunity, from
        one query instead of once per opportunity: contact and company names,
        job position, title, mobile, language, email, phone and the address
        (all or none of its fields, as crm.lead syncs them)."""
        (name, is_company, parent_name, company_name, function, title, mobile) = (
            partner_row[:7]
        )
        lang, email, phone = partner_row[7:10]
        address = partner_row[10:]
        if lang not in lang_ids:
            lang_ids[lang] = bool(lang) and self.env["res.lang"]._get_data(code=lang).id
        values = {
            "contact_name": False if is_company else name,
            "partner_name": parent_name
            or (name if is_company else company_name)
            or False,
            "function": function or False,
            "title": title or False,
            "mobile": mobile or False,
            "lang_id": lang_ids[lang] or False,
            "email_from": email or False,
            "phone": phone or False,
        }
        values.update(
            zip(ADDRESS_FIELDS, (value or False for value in address), strict=True)
        )
        return values

    def _create_opportunity_activities(self, leads):
        if not leads:
            return
        activity_type = self.env.ref(
            "mail.mail_activity_data_todo", raise_if_not_found=False
        )
        model_id = self.env["ir.model"]._get_id("crm.lead")
        deadline = fields.Date.context_today(self) + timedelta(days=3)
        summary = self.env._(
            "Follow up on campaign %(campaign)s", campaign=self.campaign_id.display_name
        )
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": lead.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": summary,
                    "user_id": lead.user_id.id or self.env.user.id,
                    "date_deadline": deadline,
                }
                for lead in leads
            ]
        )

    def action_create_opportunities(self):
        """Create the opportunities of this segment; tell which contacts were
        skipped, then open the new opportunities."""
        self.ensure_one()
        leads, skipped = self._create_opportunities()
        message = self.env._(
            "%(count)s opportunities created on campaign %(campaign)s.",
            count=len(leads),
            campaign=self.campaign_id.display_name,
        )
        if skipped:
            message = " ".join(
                (
                    message,
                    self.env._(
                        "Skipped, they already have an open opportunity on the "
                        "campaign: %(contacts)s",
                        contacts=", ".join(skipped.mapped("display_name")),
                    ),
                )
            )
        self.message_post(body=message)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm.crm_lead_opportunities"
        )
        action["domain"] = [("id", "in", leads.ids)]
        action["context"] = {"create": False}
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Opportunities"),
                "message": message,
                "type": "warning" if skipped else "success",
                "sticky": bool(skipped),
                "next": action,
                "lead_ids": leads.ids,
                "skipped_partner_ids": skipped.ids,
            },
        }
