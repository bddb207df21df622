# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Consent: the unsubscribe link and headers of every campaign e-mail, the
unsubscribe pages over HTTP, opt-outs honoured by logging, the consent log,
one e-mail per address and the review before logging."""

import re
import time
from urllib.parse import parse_qs, urlparse

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from odoo.addons.mail.tests.common import MockEmail

from .test_segment_log import SegmentLogCase, _docx_text

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


class ConsentCase(MockEmail, HttpCase, SegmentLogCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.topic = cls.env["crm.mailing.group"].create(
            {"code": "NEWS", "name": "Trade fair news"}
        )
        cls.template.mailing_group_id = cls.topic

    def _log_and_send(self, segment, **kwargs):
        logged = self.env["crm.logged.segment"].browse(
            segment.log_segment(send=True, **kwargs)
        )
        mails = logged.interaction_ids.mail_id
        with self.mock_mail_gateway():
            mails.send()
        return logged

    def _sent_to(self, email):
        return [mail for mail in self._mails if email in "".join(mail["email_to"])]

    def _url_of(self, partner):
        return partner._consent_unsubscribe_url(partner.email, self.topic)

    def _path(self, url):
        parsed = urlparse(url)
        return f"{parsed.path}?{parsed.query}"

    def _consent_rows(self, partner):
        return self.env["crm.consent.log"].search([("partner_id", "=", partner.id)])


@tagged("post_install", "-at_install")
class TestUnsubscribeInEmails(ConsentCase):
    """Every campaign e-mail carries its contact's link and RFC 8058 headers."""

    def test_headers_and_link_in_the_sent_email(self):
        segment = self._make_segment("email", send_word_as_attachment=False)
        self._log_and_send(segment)
        [sent] = self._sent_to(self.partners[0].email)
        headers = sent["headers"]
        self.assertEqual(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        url = headers["List-Unsubscribe"].strip("<>")
        self.assertIn("/crm_campaign_segment/unsubscribe?", url)
        params = parse_qs(urlparse(url).query)
        self.assertEqual(params["partner_id"], [str(self.partners[0].id)])
        self.assertEqual(params["topic"], [str(self.topic.id)])
        # the body has no placeholder: the link is appended at its end
        self.assertIn(url.replace("&", "&amp;"), sent["body"])
        self.assertIn("Unsubscribe", sent["body"])
        # the other contacts' links are signed for them
        [other] = self._sent_to(self.partners[1].email)
        self.assertNotEqual(other["headers"]["List-Unsubscribe"], url)

    def test_placeholder_in_the_body_gets_the_link(self):
        self.template.language_ids.filtered(
            lambda r: r.lang == "en_US"
        ).body_html = (
            '<p>Hello {{ object.name }}. <a href="{{ unsubscribe_url }}">Stop</a></p>'
        )
        segment = self._make_segment(
            "email", partners=self.partners[:1], send_word_as_attachment=False
        )
        self._log_and_send(segment)
        [sent] = self._sent_to(self.partners[0].email)
        url = sent["headers"]["List-Unsubscribe"].strip("<>")
        self.assertIn(f'href="{url.replace("&", "&amp;")}"', sent["body"])
        self.assertNotIn("unsubscribe_url", sent["body"])
        self.assertEqual(sent["body"].count("/crm_campaign_segment/unsubscribe"), 1)


@tagged("post_install", "-at_install")
class TestUnsubscribePages(ConsentCase):
    """The link works without login; only a one-click POST or a confirmation
    changes anything."""

    def test_one_click_post_opts_out_of_the_topic(self):
        partner = self.partners[0]
        url = self._url_of(partner)
        response = self.url_open(self._path(url), data=ONE_CLICK)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.topic, partner.opt_out_mailing_group_ids)
        [row] = self._consent_rows(partner)
        self.assertEqual(
            (row.action, row.source, row.mailing_group_id, row.email),
            ("opt_out", "one_click", self.topic, partner.email_normalized),
        )
        # twice: harmless, nothing more logged
        response = self.url_open(self._path(url), data=ONE_CLICK)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self._consent_rows(partner)), 1)

    def test_get_shows_a_page_and_changes_nothing(self):
        partner = self.partners[0]
        response = self.url_open(self._path(self._url_of(partner)))
        self.assertEqual(response.status_code, 200)
        self.assertIn("consent_form", response.text)
        self.assertTrue(response.text.lstrip().startswith("<!DOCTYPE html>"))
        self.assertIn(self.topic.name, response.text)
        self.assertFalse(partner.opt_out_mailing_group_ids)
        self.assertFalse(self._consent_rows(partner))

    def test_confirming_on_the_page_blacklists_with_a_reason(self):
        partner = self.partners[1]
        url = self._url_of(partner)
        params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        response = self.url_open(
            "/crm_campaign_segment/unsubscribe/confirm",
            data=dict(params, scope="all", reason="Too many e-mails"),
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(
            self.env["mail.blacklist"].search([("email", "=", partner.email)])
        )
        [row] = self._consent_rows(partner)
        self.assertEqual(
            (row.source, row.mailing_group_id.id, row.reason),
            ("link", False, "Too many e-mails"),
        )

    def test_page_in_the_contacts_language(self):
        partner = self.partners[2]  # nb_NO
        self.env.ref(
            "crm_campaign_segment.consent_page_confirm"
        ).update_field_translations(
            "arch_db", {"nb_NO": {"Unsubscribe": "Meld meg av"}}
        )
        response = self.url_open(self._path(self._url_of(partner)))
        self.assertEqual(response.status_code, 200)
        self.assertIn('lang="nb-NO"', response.text)
        self.assertIn("Meld meg av", response.text)
        response = self.url_open(self._path(self._url_of(self.partners[0])))
        self.assertNotIn("Meld meg av", response.text)

    def test_bad_input_is_refused_and_changes_nothing(self):
        partner = self.partners[0]
        url = self._url_of(partner)
        forged = url.replace("token=", "token=0")
        other = url.replace(
            f"partner_id={partner.id}", f"partner_id={self.partners[1].id}"
        )
        issued = int(time.time()) - 400 * 86400
        old_token = partner._consent_token(partner.email, self.topic.id, issued)
        expired = (
            f"/crm_campaign_segment/unsubscribe?partner_id={partner.id}"
            f"&email={partner.email}&topic={self.topic.id}&ts={issued}"
            f"&token={old_token}"
        )
        not_hers = url.replace("contact1%40", "contact2%40")
        for bad in (forged, other, not_hers):
            for data in (None, ONE_CLICK):
                response = self.url_open(self._path(bad), data=data)
                self.assertEqual(response.status_code, 403, bad)
                self.assertIn("not valid", response.text)
        response = self.url_open(expired, data=ONE_CLICK)
        self.assertEqual(response.status_code, 403)
        # a POST without the one-click body
        response = self.url_open(self._path(url), data={"foo": "bar"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.partners.opt_out_mailing_group_ids)
        self.assertFalse(self.env["crm.consent.log"].search([]))


@tagged("post_install", "-at_install")
class TestConsentOutlivesItsContactAndTopic(ConsentCase):
    def test_deleting_a_contact_keeps_its_consent_log(self):
        partner = self.env["res.partner"].create(
            {"name": "Leaving Contact", "email": "leaving@example.com"}
        )
        partner._consent_opt_out(partner.email, self.topic, source="manual")
        rows = self._consent_rows(partner)
        self.assertEqual(len(rows), 1)
        partner.unlink()
        self.assertTrue(rows.exists())
        self.assertFalse(rows.partner_id)
        self.assertEqual(rows.email, "leaving@example.com")
        self.assertEqual(rows.topic_name, self.topic.display_name)

    def test_a_topic_with_opt_outs_is_archived_not_deleted(self):
        partner = self.partners[0]
        partner._consent_opt_out(partner.email, self.topic, source="manual")
        with self.assertRaisesRegex(UserError, "archive it"):
            self.topic.unlink()
        self.assertIn(self.topic, partner.opt_out_mailing_group_ids)
        self.topic.active = False
        opted_out = partner.with_context(active_test=False).opt_out_mailing_group_ids
        self.assertIn(self.topic, opted_out)
        unused = self.env["crm.mailing.group"].create({"code": "UNUSED", "name": "X"})
        unused.unlink()
        self.assertFalse(unused.exists())


@tagged("post_install", "-at_install")
class TestUnsubscribeWithoutTopic(ConsentCase):
    def test_link_without_topic_shows_the_page(self):
        """A link signed for no topic, without its topic parameter: the page,
        not a server error."""
        partner = self.partners[0]
        url = partner._consent_unsubscribe_url(
            partner.email, self.env["crm.mailing.group"]
        )
        path = re.sub(r"&topic=[^&]*", "", self._path(url))
        self.assertNotIn("topic=", path)
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(partner.opt_out_mailing_group_ids)


@tagged("post_install", "-at_install")
class TestLoggingHonoursConsent(ConsentCase):
    """Log Segment leaves opted-out and blacklisted e-mail lines out."""

    def test_opted_out_over_http_then_left_out_of_logging(self):
        partner = self.partners[0]
        self.url_open(self._path(self._url_of(partner)), data=ONE_CLICK)
        segment = self._make_segment("email", send_word_as_attachment=False)
        review = segment.log_review(send=True)
        self.assertEqual((review["opted_out"], review["emails"]), (1, 2))
        self.assertIn("1 opted out", review["message"])
        wizard = self.env["crm.segment.log"].create(
            {"segment_id": segment.id, "send": True}
        )
        self.assertEqual(wizard.review_opted_out_count, 1)
        self.assertEqual(wizard.review_email_count, 2)
        logged = self._log_and_send(segment)
        self.assertEqual(logged.consent_excluded_count, 1)
        self.assertNotIn(partner, logged.interaction_ids.partner_id)
        self.assertEqual(len(logged.interaction_ids), 2)
        self.assertFalse(self._sent_to(partner.email))
        self.assertIn("Contact 1", segment.message_ids[0].body)

    def test_other_topic_and_letters_not_affected(self):
        partner = self.partners[0]
        partner.opt_out_mailing_group_ids = self.topic
        letters = self._make_segment("hard_copy", description="Letters")
        logged = self.env["crm.logged.segment"].browse(letters.log_segment(send=True))
        self.assertIn(partner, logged.interaction_ids.partner_id)
        self.template.mailing_group_id = self.env["crm.mailing.group"].create(
            {"code": "OTHER", "name": "Other topic"}
        )
        emails = self._make_segment("email", description="Other topic")
        logged = self.env["crm.logged.segment"].browse(emails.log_segment(send=True))
        self.assertIn(partner, logged.interaction_ids.partner_id)

    def test_ignore_exclusion_does_not_override_an_opt_out(self):
        partner = self.partners[0]
        partner.write({"opt_out_mailing_group_ids": [(4, self.topic.id)]})
        segment = self._make_segment("email", partners=self.partners.browse())
        self.env["crm.segment.filter"].create(
            {
                "segment_id": segment.id,
                "mode": "add",
                "partner_domain": f"[('id', 'in', {self.partners.ids})]",
                "ignore_exclusion": True,
            }
        ).action_apply()
        self.assertIn(partner, segment.line_ids.partner_id)
        segment.line_ids.correspondence_type = "email"
        logged = self.env["crm.logged.segment"].browse(segment.log_segment(send=True))
        self.assertNotIn(partner, logged.interaction_ids.partner_id)


@tagged("post_install", "-at_install")
class TestConsentLog(ConsentCase):
    """Every change is logged; users read the log and cannot write it."""

    def test_manual_changes_logged_and_read_only_for_users(self):
        partner = self.partners[0]
        partner.write({"opt_out_mailing_group_ids": [(4, self.topic.id)]})
        partner.write({"opt_out_mailing_group_ids": [(5,)]})
        self.env["mail.blacklist"]._add(partner.email)
        self.env["mail.blacklist"]._remove(partner.email)
        self.env["mail.blacklist"]._add(partner.email)
        rows = self._consent_rows(partner).sorted("id")
        self.assertEqual(
            [(r.action, r.source, r.mailing_group_id) for r in rows],
            [
                ("opt_out", "manual", self.topic),
                ("opt_in", "manual", self.topic),
                ("opt_out", "manual", self.env["crm.mailing.group"]),
                ("opt_in", "manual", self.env["crm.mailing.group"]),
                ("opt_out", "manual", self.env["crm.mailing.group"]),
            ],
        )
        Log = self.env["crm.consent.log"].with_user(self.user)
        self.assertEqual(len(Log.search([("partner_id", "=", partner.id)])), 5)
        self.assertEqual(partner.with_user(self.user).consent_log_ids, rows)
        with self.assertRaises(AccessError):
            Log.create(
                {"partner_id": partner.id, "action": "opt_in", "source": "manual"}
            )
        with self.assertRaises(AccessError):
            rows[0].with_user(self.user).write({"action": "opt_in"})


@tagged("post_install", "-at_install")
class TestConsentLogHasNoBypass(ConsentCase):
    def test_contact_created_with_its_opt_outs_is_logged(self):
        """An import or an RPC client creates a contact with its opt-outs."""
        partner = self.env["res.partner"].create(
            {
                "name": "Opted Out At Creation",
                "email": "created.opted@example.com",
                "opt_out_mailing_group_ids": [(6, 0, self.topic.ids)],
            }
        )
        rows = self._consent_rows(partner)
        self.assertEqual(rows.mapped("action"), ["opt_out"])
        self.assertEqual(rows.mailing_group_id, self.topic)

    def test_no_context_key_skips_the_log(self):
        """The key the engine once used, sent by a client, logs as usual."""
        partner = self.partners[0]
        bypass = {"crm_consent_engine": True}
        before = len(self._consent_rows(partner))
        partner.with_context(**bypass).write(
            {"opt_out_mailing_group_ids": [(4, self.topic.id)]}
        )
        partner.with_context(**bypass).write(
            {"opt_out_mailing_group_ids": [(3, self.topic.id)]}
        )
        self.assertEqual(len(self._consent_rows(partner)), before + 2)
        Blacklist = self.env["mail.blacklist"].with_context(**bypass)
        entry = Blacklist._add(partner.email)
        entry.with_context(**bypass).write({"active": False})
        self.assertEqual(
            self._consent_rows(partner)[:2].mapped("action"), ["opt_in", "opt_out"]
        )


@tagged("post_install", "-at_install")
class TestOneEmailPerAddress(ConsentCase):
    """Contacts sharing an address: one e-mail, an interaction each."""

    def _share_address(self):
        self.partners[1].email = self.partners[0].email

    def test_one_email_for_a_shared_address(self):
        self._share_address()
        segment = self._make_segment("email", send_word_as_attachment=False)
        self.assertEqual(segment.log_review(send=True)["shared_address"], 1)
        logged = self._log_and_send(segment)
        self.assertEqual(len(logged.interaction_ids), 3)
        by_partner = logged.interaction_ids.grouped("partner_id")
        first, second = by_partner[self.partners[0]], by_partner[self.partners[1]]
        self.assertEqual(second.covered_by_id, first)
        self.assertEqual(second.mail_id, first.mail_id)
        self.assertEqual(len(logged.interaction_ids.mail_id), 2)
        self.assertEqual(len(self._sent_to(self.partners[0].email)), 1)
        self.assertEqual(second.delivery_status, "delivered")
        with self.assertRaises(AccessError):
            second.with_user(self.user).write({"covered_by_id": False})

    def test_option_off_sends_one_email_each(self):
        self._share_address()
        segment = self._make_segment("email", send_word_as_attachment=False)
        logged = self._log_and_send(segment, one_email_per_address=False)
        self.assertEqual(len(logged.interaction_ids.mail_id), 3)
        self.assertEqual(len(self._sent_to(self.partners[0].email)), 2)
        self.assertFalse(logged.interaction_ids.covered_by_id)
        with self.assertRaises(AccessError):
            logged.with_user(self.user).write({"one_email_per_address": True})

    def test_canceling_a_covered_contact_keeps_the_shared_email(self):
        self.partners[1].email = self.partners[0].email
        segment = self._make_segment("email", send_word_as_attachment=False)
        logged = self.env["crm.logged.segment"].browse(segment.log_segment(send=True))
        by_partner = logged.interaction_ids.grouped("partner_id")
        first, second = by_partner[self.partners[0]], by_partner[self.partners[1]]
        second.action_cancel()
        self.assertEqual(first.mail_id.state, "outgoing")
        first.action_cancel()
        self.assertEqual(first.mail_id.state, "cancel")


@tagged("post_install", "-at_install")
class TestReviewAndTestEmail(ConsentCase):
    def test_test_email_to_me_logs_nothing(self):
        segment = self._make_segment("email", send_word_as_attachment=False)
        line = segment.line_ids[0]
        before = self.env["crm.interaction"].search_count([])
        with self.mock_mail_gateway():
            segment.with_user(self.user).action_send_test_email(line)
        [sent] = self._sent_to("user@cronus.example")
        self.assertIn("Contact 1", sent["body"])
        self.assertIn("List-Unsubscribe", sent["headers"])
        self.assertEqual(self.env["crm.interaction"].search_count([]), before)
        self.assertEqual(segment.state, "draft")
        self.assertEqual(len(segment.line_ids), 3)

    def test_test_email_carries_the_merged_word_document(self):
        """The test e-mail is the real one: the template's Word document,
        merged for the line's contact, goes with it."""
        segment = self._make_segment("email", send_word_as_attachment=True)
        line = segment.line_ids.filtered(
            lambda line: line.partner_id == self.partners[2]
        )
        with self.mock_mail_gateway():
            segment.with_user(self.user).action_send_test_email(line)
        [sent] = self._sent_to("user@cronus.example")
        self.assertTrue(sent["subject"].startswith("[Test] "))
        self.assertIn("Hei Contact 3", sent["body"])
        self.assertIn("List-Unsubscribe", sent["headers"])
        [(name, data, __)] = sent["attachments"]
        self.assertIn("bus_letter_nb", name)
        self.assertTrue(name.endswith(".docx"))
        text = _docx_text(data)
        self.assertIn("Contact 3", text)
        self.assertNotIn("{{", text)
        # nothing logged, no consent touched
        self.assertFalse(segment.logged_segment_ids)
        self.assertFalse(line.partner_id.consent_log_ids)

    def test_wizard_reviews_each_channel_and_sends_a_test(self):
        self.partners[1].email = self.partners[0].email
        self.partners[2].opt_out_mailing_group_ids = self.topic
        no_mail = self.env["res.partner"].create({"name": "No Mail Person"})
        segment = self._make_segment(
            "email",
            partners=self.partners | no_mail,
            send_word_as_attachment=False,
        )
        wizard_form = Form(
            self.env["crm.segment.log"]
            .with_user(self.user)
            .with_context(default_segment_id=segment.id)
        )
        wizard_form.send = True
        self.assertEqual(wizard_form.review_email_count, 1)
        self.assertEqual(wizard_form.review_shared_address_count, 1)
        self.assertEqual(wizard_form.review_opted_out_count, 1)
        self.assertEqual(wizard_form.review_no_address_count, 1)
        wizard_form.missing_email = "hard_copy"
        self.assertEqual(wizard_form.review_letter_count, 1)
        wizard_form.one_email_per_address = False
        self.assertEqual(wizard_form.review_email_count, 2)
        wizard_form.test_line_id = segment.line_ids.filtered(
            lambda line: line.partner_id == self.partners[1]
        )
        wizard = wizard_form.save()
        with self.mock_mail_gateway():
            wizard.action_send_test_email()
        [sent] = self._sent_to("user@cronus.example")
        self.assertIn("Contact 2", sent["body"])
        self.assertFalse(segment.logged_segment_ids)
