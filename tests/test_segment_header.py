# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import CampaignSegmentCase


@tagged("post_install", "-at_install")
class TestCreateSegment(CampaignSegmentCase):
    def test_segment_number_from_sequence(self):
        first, second = self.env["crm.segment"].create(
            [{"description": "Visitors"}, {"description": "Follow-up"}]
        )
        self.assertRegex(first.name, r"^SM\d{5}$")
        self.assertEqual(int(second.name[2:]), int(first.name[2:]) + 1)
        self.assertEqual(first.state, "draft")
        self.assertEqual(first.line_count, 0)

    def test_template_fills_segment_defaults(self):
        self.template.write(
            {
                "campaign_id": self.campaign.id,
                "campaign_target": True,
                "ignore_partner_correspondence_type": True,
            }
        )
        form = Form(self.env["crm.segment"])
        form.description = "Office Futurus trade fair visitors"
        form.interaction_template_id = self.template
        self.assertEqual(form.unit_cost, 2.5)
        self.assertEqual(form.unit_duration, 0.25)
        self.assertEqual(form.information_flow, "outbound")
        self.assertEqual(form.initiated_by, "us")
        self.assertEqual(form.correspondence_type, "hard_copy")
        self.assertTrue(form.ignore_partner_correspondence_type)
        self.assertEqual(form.lang, "en_US")
        self.assertEqual(form.campaign_id, self.campaign)
        self.assertTrue(form.campaign_target)
        segment = form.save()
        self.assertEqual(segment.campaign_id, self.campaign)

    def test_template_defaults_over_rpc_create(self):
        segment = self.env["crm.segment"].create(
            {"description": "RPC", "interaction_template_id": self.template.id}
        )
        self.assertEqual(segment.unit_cost, 2.5)
        self.assertEqual(segment.correspondence_type, "hard_copy")

    def test_campaign_flags_need_campaign(self):
        with self.assertRaisesRegex(ValidationError, "only be set together with"):
            self.env["crm.segment"].create(
                {"description": "No campaign", "campaign_target": True}
            )
        segment = self.env["crm.segment"].create(
            {
                "description": "Linked",
                "campaign_id": self.campaign.id,
                "campaign_target": True,
                "campaign_response": True,
            }
        )
        segment.campaign_id = False
        self.assertFalse(segment.campaign_target)
        self.assertFalse(segment.campaign_response)
        form = Form(segment)
        form.campaign_id = self.campaign
        form.campaign_target = True
        form.campaign_id = self.env["utm.campaign"]
        self.assertFalse(form.campaign_target)


@tagged("post_install", "-at_install")
class TestSegmentLineDefaults(CampaignSegmentCase):
    def _segment(self, **values):
        return self.env["crm.segment"].create(
            dict(
                {"description": "Rules", "interaction_template_id": self.template.id},
                **values,
            )
        )

    def _line(self, segment, partner):
        return self.env["crm.segment.line"].create(
            {"segment_id": segment.id, "partner_id": partner.id}
        )

    def test_contact_preference_wins_by_default(self):
        segment = self._segment()
        line = self._line(segment, self.prospect_buyer)  # prefers e-mail
        self.assertEqual(line.correspondence_type, "email")
        self.assertEqual(line.interaction_template_id, self.template)
        self.assertEqual(line.company_partner_id, self.prospect_company)

    def test_template_default_when_contact_has_none(self):
        segment = self._segment()
        line = self._line(segment, self.buyer)  # no preference
        self.assertEqual(line.correspondence_type, "hard_copy")

    def test_template_ignoring_contact_preference(self):
        self.template.ignore_partner_correspondence_type = True
        segment = self._segment(ignore_partner_correspondence_type=False)
        line = self._line(segment, self.prospect_buyer)
        self.assertEqual(line.correspondence_type, "hard_copy")

    def test_segment_ignoring_contact_preference(self):
        segment = self._segment(
            correspondence_type="email", ignore_partner_correspondence_type=True
        )
        line = self._line(segment, self.buyer)
        self.assertEqual(line.correspondence_type, "email")
        line2 = self._line(segment, self.prospect_buyer)
        self.assertEqual(line2.correspondence_type, "email")

    def test_language_of_contact_only_when_template_has_it(self):
        self.env["res.lang"]._activate_lang("nb_NO")
        self.buyer.lang = "nb_NO"
        segment = self._segment()
        line = self._line(segment, self.buyer)
        self.assertEqual(line.lang, "en_US", "template has no nb_NO row")
        self.env["crm.segment.line"].search([("id", "=", line.id)]).unlink()
        self.template.language_ids = [(0, 0, {"lang": "nb_NO", "subject": "Takk"})]
        line = self._line(segment, self.buyer)
        self.assertEqual(line.lang, "nb_NO")

    def test_contact_once_per_segment(self):
        segment = self._segment()
        self._line(segment, self.buyer)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError) as error:
            with self.env.cr.savepoint():
                self._line(segment, self.buyer)
        self.assertIn("segment_partner_unique", str(error.exception))

    def test_header_change_updates_lines_of_same_template(self):
        segment = self._segment()
        line_same = self._line(segment, self.buyer)
        other = self.template.copy({"code": "T-OTHER", "correspondence_type": "email"})
        line_other = self._line(segment, self.prospect_buyer)
        line_other.interaction_template_id = other
        segment.write({"correspondence_type": "email", "subject": "New subject"})
        self.assertEqual(line_same.subject, "New subject")
        self.assertEqual(line_other.subject, False, "other template left alone")
        segment.write({"ignore_partner_correspondence_type": True})
        self.assertEqual(line_same.correspondence_type, "email")
        self.assertEqual(line_other.correspondence_type, "email", "contact prefers it")

    def test_header_change_kept_when_user_declines(self):
        segment = self._segment(apply_header_to_lines=False)
        line = self._line(segment, self.buyer)
        segment.subject = "Changed"
        self.assertFalse(line.subject)

    def test_onchange_offers_to_update_lines(self):
        segment = self._segment()
        self._line(segment, self.buyer)
        form = Form(segment)
        form.subject = "Offer"
        # the notification is shown in the web client; the value is saved
        form.save()
        self.assertEqual(segment.line_ids.subject, "Offer")

    def test_logged_segment_is_locked(self):
        segment = self._segment()
        line = self._line(segment, self.buyer)
        segment.state = "logged"
        with self.assertRaisesRegex(UserError, "is logged"):
            line.correspondence_type = "email"
        with self.assertRaisesRegex(UserError, "is logged"):
            self._line(segment, self.prospect_buyer)
        with self.assertRaisesRegex(UserError, "is logged"):
            segment.subject = "Too late"
        with self.assertRaisesRegex(UserError, "logged already"):
            segment.action_add_contacts()


@tagged("post_install", "-at_install")
class TestOpenLargeSegment(CampaignSegmentCase):
    def test_form_shows_first_lines_only(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Visitor {i}"} for i in range(85)]
        )
        segment = self.env["crm.segment"].create({"description": "Large"})
        self.env["crm.segment.line"].create(
            [{"segment_id": segment.id, "partner_id": p.id} for p in partners]
        )
        self.assertEqual(segment.line_count, 85)
        self.assertEqual(len(segment.line_preview_ids), segment.line_preview_limit)
        arch = self.env["crm.segment"].get_view(view_type="form")["arch"]
        self.assertNotIn('name="line_ids"', arch, "the form never loads every line")
        action = segment.action_view_lines()
        self.assertEqual(
            self.env["crm.segment.line"].search_count(action["domain"]), 85
        )
