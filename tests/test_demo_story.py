# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The demo database is the Office Futurus walkthrough, ready to be played.

These tests read the demo data as shipped; on a database without demo data they
are skipped.
"""

import base64
import io
import zipfile
from collections import Counter

from odoo.tests.common import TransactionCase, tagged

MODULE = "crm_campaign_segment"
COMPANY_COUNT = 10
PERSON_COUNT = 40
PURCHASE_COUNT = 20
NO_EMAIL_NAMES = {"Per Johansen", "Daan Bakker"}
EXCLUDED_NAMES = {"Anders Holm", "Michael Turner"}


class DemoStoryCase(TransactionCase):
    def setUp(self):
        super().setUp()
        if not self.env.ref(
            f"{MODULE}.segment_office_futurus_visitors", raise_if_not_found=False
        ):
            self.skipTest("The demo data of the walkthrough is not loaded.")

    def _ref(self, xmlid):
        return self.env.ref(f"{MODULE}.{xmlid}")

    def _companies(self):
        return self.env["res.partner"].union(
            *(
                self._ref(f"partner_futurus_company_{n}")
                for n in range(1, COMPANY_COUNT + 1)
            )
        )

    def _persons(self):
        return self.env["res.partner"].union(
            *(
                self._ref(f"partner_futurus_person_{n}")
                for n in range(1, PERSON_COUNT + 1)
            )
        )


@tagged("post_install", "-at_install")
class TestDemoBusinessCards(DemoStoryCase):
    """Step 0: the business cards of the trade fair are registered as contacts."""

    def test_companies_with_business_relations(self):
        companies = self._companies()
        self.assertEqual(len(companies), COMPANY_COUNT)
        self.assertTrue(all(companies.mapped("is_company")))
        for company in companies:
            self.assertTrue(company.email, company.name)
            self.assertTrue(company.city and company.country_id, company.name)
            self.assertTrue(company.industry_id, company.name)
            self.assertEqual(len(company.business_relation_ids), 1, company.name)
        codes = Counter(company.business_relation_ids.code for company in companies)
        self.assertEqual(codes, {"CUSTOMER": 3, "PROSPECT": 6, "VENDOR": 1})

    def test_persons_linked_to_their_companies(self):
        persons = self._persons()
        self.assertEqual(len(persons), PERSON_COUNT)
        self.assertFalse(any(persons.mapped("is_company")))
        self.assertEqual(persons.parent_id, self._companies())
        self.assertTrue(all(persons.mapped("function")))
        # the address of the company is the address of its persons
        for person in persons:
            self.assertEqual(person.city, person.parent_id.city, person.name)
        self.assertFalse(persons.business_relation_ids)

    def test_classification_of_persons(self):
        persons = self._persons()
        purchase = self._ref("job_responsibility_purchase")
        self.assertEqual(purchase.code, "PURCHASE")
        self.assertEqual(len(purchase.partner_ids), PURCHASE_COUNT)
        self.assertLessEqual(purchase.partner_ids, persons)
        self.assertTrue(all(persons.mapped("job_responsibility_ids")))
        fair = self._ref("mailing_group_fair")
        self.assertLessEqual(persons, fair.partner_ids)
        self.assertEqual(
            set(persons.filtered(lambda p: not p.email).mapped("name")),
            NO_EMAIL_NAMES,
        )
        self.assertEqual(
            set(persons.filtered("exclude_from_segment").mapped("name")),
            EXCLUDED_NAMES,
        )
        self.assertEqual(
            set(persons.mapped("correspondence_type")), {"email", "hard_copy", False}
        )

    def test_norwegian_visitors(self):
        persons = self._persons()
        self.assertTrue(self.env["res.lang"]._lang_get("nb_NO").active)
        self.assertEqual(len(persons.filtered(lambda p: p.lang == "nb_NO")), 13)
        self.assertEqual(set(persons.mapped("lang")), {"en_US", "nb_NO"})
        purchase = self._ref("job_responsibility_purchase")
        self.assertEqual(purchase.with_context(lang="nb_NO").name, "Kjøp")

    def test_walkthrough_numbers(self):
        """The counts the walkthrough's add and reduce steps must reach."""
        Partner = self.env["res.partner"]
        added = Partner.search(
            [
                ("job_responsibility_ids.code", "=", "PURCHASE"),
                ("exclude_from_segment", "=", False),
            ]
        )
        self.assertEqual(len(added), PURCHASE_COUNT - 1)
        customers = added.filtered(
            lambda p: (
                "CUSTOMER"
                in p.commercial_partner_id.business_relation_ids.mapped("code")
            )
        )
        self.assertEqual(len(customers), 7)
        final = added - customers
        self.assertEqual(len(final), 12)
        # the contacts without e-mail stay in the final list
        self.assertEqual(
            set(final.filtered(lambda p: not p.email).mapped("name")), NO_EMAIL_NAMES
        )


@tagged("post_install", "-at_install")
class TestDemoInteractionTemplates(DemoStoryCase):
    """Steps 8 to 10: the letter BUS and the response template RESP."""

    def _assert_docx(self, row):
        self.assertTrue(row.word_document, row.lang)
        self.assertTrue(row.word_document_name.endswith(".docx"))
        data = base64.b64decode(row.word_document)
        self.assertTrue(zipfile.is_zipfile(io.BytesIO(data)))
        with zipfile.ZipFile(io.BytesIO(data)) as docx:
            self.assertIn("word/document.xml", docx.namelist())

    def test_business_letter(self):
        template = self._ref("interaction_template_bus")
        self.assertEqual(template.code, "BUS")
        self.assertEqual(template.name, "Business letter")
        self.assertEqual(template.group_id.code, "LETTER")
        self.assertEqual(template.unit_cost, 1.5)
        self.assertEqual(template.unit_duration, 0.1)
        self.assertEqual(template.information_flow, "outbound")
        self.assertEqual(template.initiated_by, "us")
        self.assertEqual(template.correspondence_type, "hard_copy")
        self.assertCountEqual(template.language_ids.mapped("lang"), ["en_US", "nb_NO"])
        english = template._get_language("en_US")
        norwegian = template._get_language("nb_NO")
        self.assertEqual(english.subject, "Thank you for visiting the trade fair")
        self.assertEqual(norwegian.subject, "Takk for at du besøkte varemessen")
        for row in english | norwegian:
            self.assertIn("{{ object.name }}", row.body_html)
            self.assertIn("{{ object.name }}", row.letter_body)
            self._assert_docx(row)
        self.assertNotEqual(english.word_document, norwegian.word_document)

    def test_business_email(self):
        template = self._ref("interaction_template_email")
        self.assertEqual(template.code, "EMAIL")
        self.assertEqual(template.correspondence_type, "email")
        self.assertCountEqual(template.language_ids.mapped("lang"), ["en_US", "nb_NO"])

    def test_campaign_response(self):
        template = self._ref("interaction_template_resp")
        self.assertEqual(template.code, "RESP")
        self.assertEqual(template.name, "Campaign response")
        self.assertEqual(template.group_id.code, "RESPONSE")
        self.assertEqual(template.information_flow, "inbound")
        self.assertEqual(template.initiated_by, "them")
        self.assertTrue(template.campaign_response)
        self.assertFalse(template.campaign_target)
        self.assertEqual(template.campaign_id, self._ref("utm_campaign_office_futurus"))
        self.assertCountEqual(template.language_ids.mapped("lang"), ["en_US", "nb_NO"])


@tagged("post_install", "-at_install")
class TestDemoCampaign(DemoStoryCase):
    """Steps 1 and 2: the campaign is planned, its segment waits to be built."""

    def test_campaign_planned(self):
        campaign = self._ref("utm_campaign_office_futurus")
        self.assertEqual(campaign.title, "Office Futurus trade fair")
        self.assertRegex(campaign.code, r"^KM\d{4}$")
        self.assertEqual(campaign.stage_id, self._ref("utm_stage_plan"))
        self.assertEqual(campaign.stage_code, "1-PLAN")
        self.assertTrue(campaign.date_start and campaign.date_end)
        self.assertLess(campaign.date_start, campaign.date_end)
        self.assertEqual(campaign.user_id, self.env.ref("base.user_admin"))
        self.assertEqual(
            campaign.with_context(lang="nb_NO").title, "Office Futurus varemesse"
        )

    def test_segment_empty_and_unlinked(self):
        segment = self._ref("segment_office_futurus_visitors")
        self.assertEqual(segment.description, "Office Futurus trade fair visitors")
        self.assertEqual(segment.state, "draft")
        self.assertRegex(segment.name, r"^SM\d{5}$")
        self.assertEqual(segment.line_count, 0)
        self.assertFalse(segment.campaign_id)
        self.assertFalse(segment.interaction_template_id)


@tagged("post_install", "-at_install")
class TestCampaignStatuses(TransactionCase):
    """The statuses a campaign goes through, 1-PLAN to 9-DONE (data, not demo)."""

    def test_campaign_statuses(self):
        stages = self.env["utm.stage"].search([("code", "!=", False)])
        for code in ("1-PLAN", "2-APP", "3-INIT", "4-SCH", "5-START", "9-DONE"):
            self.assertIn(code, stages.mapped("code"))
        self.assertEqual(
            stages.filtered(lambda s: s.code == "1-PLAN"),
            self.env.ref(f"{MODULE}.utm_stage_plan"),
        )
