# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Opportunities from a segment, skipping contacts that already have one."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .response_common import ResponseCase


@tagged("post_install", "-at_install")
class TestOpportunitiesFromSegment(ResponseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.team = cls.env["crm.team"].create(
            {"name": "Chair sellers", "member_ids": [(6, 0, cls.user.ids)]}
        )
        cls.Lead = cls.env["crm.lead"]
        cls.company_line_partner = cls.env["res.partner"].create(
            {
                "name": "Milano Offices",
                "is_company": True,
                "email": "info@milano.example",
            }
        )
        cls.segment = cls.env["crm.segment"].create(
            {
                "description": "Chair prospects",
                "interaction_template_id": cls.template.id,
                "campaign_id": cls.campaign.id,
                "campaign_target": True,
                "correspondence_type": "email",
                "ignore_partner_correspondence_type": True,
                "user_id": cls.user.id,
            }
        )
        cls.env["crm.segment.line"].create(
            [
                {"segment_id": cls.segment.id, "partner_id": partner.id}
                for partner in cls.partners | cls.company_line_partner
            ]
        )

    def _lead(self, partner, campaign=None, **vals):
        return self.Lead.create(
            dict(
                {
                    "name": f"Existing {partner.name}",
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "campaign_id": (campaign or self.campaign).id,
                },
                **vals,
            )
        )

    def test_one_opportunity_per_contact_with_skips(self):
        # open on this campaign: skipped; won, lost or on another campaign: not
        self._lead(self.partners[0])
        self._lead(self.partners[1]).action_set_won()
        self._lead(self.partners[2]).action_set_lost()
        other = self.env["utm.campaign"].create({"title": "Another campaign"})
        self._lead(self.company_line_partner, campaign=other)
        before = self.Lead.search([])

        action = self.segment.with_user(self.user).action_create_opportunities()

        leads = self.Lead.search([]) - before
        self.assertCountEqual(leads.ids, action["params"]["lead_ids"])
        self.assertEqual(len(leads), 3)
        self.assertEqual(
            leads.partner_id, self.partners[1:] | self.company_line_partner
        )
        self.assertEqual(action["params"]["skipped_partner_ids"], self.partners[0].ids)
        self.assertIn(self.partners[0].display_name, action["params"]["message"])
        self.assertIn(self.partners[0].display_name, self.segment.message_ids[0].body)
        self.assertEqual(
            action["params"]["next"]["domain"],
            [("id", "in", action["params"]["lead_ids"])],
        )
        source = self.segment.source_id
        self.assertTrue(source)
        email = self.env.ref("utm.utm_medium_email")
        for lead in leads:
            self.assertEqual(lead.type, "opportunity")
            self.assertEqual(lead.campaign_id, self.campaign)
            self.assertEqual(lead.source_id, source)
            self.assertEqual(lead.medium_id, email)
            self.assertEqual(lead.user_id, self.user)
            self.assertEqual(lead.team_id, self.team)
            self.assertEqual(lead.company_id, self.segment.company_id)
            self.assertEqual(len(lead.activity_ids), 1)
            self.assertEqual(lead.activity_ids.user_id, self.user)
        # a person's opportunity names the company too (commercial partner)
        person_lead = leads.filtered(lambda lead: lead.partner_id == self.partners[1])
        self.assertEqual(
            person_lead.partner_id.commercial_partner_id, self.company_partner
        )
        self.assertEqual(person_lead.partner_name, self.company_partner.name)

        # the second time everyone has an open opportunity: all skipped
        again = self.segment.action_create_opportunities()
        self.assertEqual(again["params"]["lead_ids"], [])
        self.assertEqual(len(again["params"]["skipped_partner_ids"]), 4)

    def test_hard_copy_lines_are_direct_mail(self):
        self.segment.line_ids.correspondence_type = "hard_copy"
        leads, skipped = self.segment._create_opportunities()
        self.assertFalse(skipped)
        self.assertEqual(leads.medium_id, self.env.ref("utm.utm_medium_direct"))

    def test_logged_segment(self):
        self.segment.line_ids.correspondence_type = "hard_copy"
        self.segment.log_segment()
        self.assertEqual(self.segment.state, "logged")
        leads, skipped = self.segment._create_opportunities()
        self.assertEqual(len(leads), 4)
        self.assertFalse(skipped)

    def test_bad_input(self):
        empty = self.env["crm.segment"].create(
            {"description": "Nobody", "campaign_id": self.campaign.id}
        )
        with self.assertRaisesRegex(UserError, "no contacts"):
            empty.action_create_opportunities()
        no_campaign = self.env["crm.segment"].create({"description": "Loose"})
        with self.assertRaisesRegex(UserError, "no campaign"):
            no_campaign.action_create_opportunities()
        self.assertFalse(self.Lead.search([("campaign_id", "=", self.campaign.id)]))

    def test_contact_values_as_crm_computes_them(self):
        # the values a new opportunity takes from its contact are the ones
        # crm.lead computes itself when only the contact is given
        Partner = self.env["res.partner"]
        self.env.ref("base.lang_fr").active = True
        belgium = self.env.ref("base.be")
        full = Partner.create(
            {
                "name": "Lucia Ferri",
                "parent_id": self.company_partner.id,
                "function": "Buyer",
                "title": self.env.ref("base.res_partner_title_madam").id,
                "email": "lucia@ferri.example",
                "phone": "+32 2 555 12 34",
                "mobile": "+32 470 12 34 56",
                "lang": "fr_FR",
                "street": "Rue Haute 1",
                "street2": "Box 2",
                "city": "Brussels",
                "zip": "1000",
                "country_id": belgium.id,
                "state_id": self.env["res.country.state"]
                .search([("country_id", "=", belgium.id)], limit=1)
                .id,
            }
        )
        loose = Partner.create({"name": "Ada Loose", "company_name": "Loose Ltd"})
        bare = Partner.create({"name": "Bare Company", "is_company": True})
        partners = full | loose | bare
        segment = self.env["crm.segment"].create(
            {
                "description": "Contact values",
                "campaign_id": self.campaign.id,
                "user_id": self.user.id,
            }
        )
        self.env["crm.segment.line"].create(
            [{"segment_id": segment.id, "partner_id": p.id} for p in partners]
        )
        leads, __ = segment._create_opportunities()
        compared = [
            "contact_name",
            "partner_name",
            "function",
            "title",
            "mobile",
            "website",
            "lang_id",
            "email_from",
            "email_normalized",
            "email_state",
            "phone",
            "phone_sanitized",
            "phone_state",
            "street",
            "street2",
            "city",
            "zip",
            "state_id",
            "country_id",
            "stage_id",
            "probability",
            "automated_probability",
            "date_open",
            "date_last_stage_update",
        ]
        for partner in partners:
            lead = leads.filtered(lambda lead, p=partner: lead.partner_id == p)
            plain = self.Lead.create(
                {
                    "name": lead.name,
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "user_id": self.user.id,
                    "team_id": lead.team_id.id,
                }
            )
            self.assertTrue(lead.email_from or partner != full)
            for fname in compared:
                self.assertEqual(lead[fname], plain[fname], f"{partner.name}: {fname}")
        # nothing was written back on the contacts
        self.assertEqual(full.email, "lucia@ferri.example")
        self.assertEqual(full.phone, "+32 2 555 12 34")
