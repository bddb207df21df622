# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Opens and clicks of campaign e-mails, over HTTP: short links through
Odoo's link tracker and a tracking image in every logged e-mail, the click
recorded on the right interaction, a signed open counted once, forged links
that change nothing, and a click that is a campaign response."""

import re
from urllib.parse import urlparse

from odoo.tests import HttpCase, tagged

from .response_common import ResponseCase

OFFER_URL = "https://www.cronus.example/rome-guest-chair"
BODY = (
    "<p>Hello {{ object.name }}, meet the "
    f'<a href="{OFFER_URL}">Rome Guest Chair</a>. '
    '<a href="https://www.cronus.example/contact">Contact us</a>, '
    '<a href="mailto:sales@cronus.example">write</a> or '
    '<a href="tel:+4722334455">call</a>.</p>'
)
SHORT_LINK = re.compile(r'href="([^"]*/r/\w+/i/(\d+)/(\w+))"')
TRACKING_IMAGE = re.compile(
    r'src="([^"]*/crm_campaign_segment/track/(\d+)/\w+/blank\.gif)"'
)


class TrackingCase(HttpCase, ResponseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template.language_ids.body_html = BODY

    def _short_links(self, interaction):
        return SHORT_LINK.findall(str(interaction.mail_id.body_html))

    def _offer_link(self, interaction):
        """The path of the short link of the offer in the contact's e-mail."""
        tracker = self.env["link.tracker"].search(
            [("url", "=", OFFER_URL), ("campaign_id", "=", self.campaign.id)]
        )
        for url, __, __ in self._short_links(interaction):
            if url.startswith(tracker.short_url + "/"):
                return urlparse(url).path
        raise AssertionError(f"no short offer link in {interaction.display_name}")

    def _open_image(self, interaction):
        [(url, __)] = TRACKING_IMAGE.findall(str(interaction.mail_id.body_html))
        return urlparse(url).path

    def _get(self, path):
        response = self.url_open(path, allow_redirects=False)
        self.env.invalidate_all()
        return response


@tagged("post_install", "-at_install")
class TestTrackedEmails(TrackingCase):
    """Logging e-mails shortens their links and adds a tracking image."""

    def test_logged_email_has_short_links_and_the_image(self):
        interactions = self._log_segment()
        logged = interactions.logged_segment_id
        self.assertTrue(logged.source_id, "a UTM source per logged segment")
        trackers = self.env["link.tracker"].search(
            [("source_id", "=", logged.source_id.id)]
        )
        # one shortening per distinct link of the batch, not per contact
        self.assertEqual(
            sorted(trackers.mapped("url")),
            ["https://www.cronus.example/contact", OFFER_URL],
        )
        self.assertEqual(trackers.campaign_id, self.campaign)
        self.assertEqual(trackers.medium_id, self.env.ref("utm.utm_medium_email"))
        for interaction in interactions:
            body = str(interaction.mail_id.body_html)
            links = self._short_links(interaction)
            self.assertEqual(len(links), 2)
            self.assertEqual({int(link[1]) for link in links}, {interaction.id})
            self.assertNotIn(OFFER_URL, body)
            # mailto:, tel: and the unsubscribe link are not shortened
            self.assertIn('href="mailto:sales@cronus.example"', body)
            self.assertIn('href="tel:+4722334455"', body)
            self.assertIn("/crm_campaign_segment/unsubscribe?", body)
            [(__, image_id)] = TRACKING_IMAGE.findall(body)
            self.assertEqual(int(image_id), interaction.id)
            # the chatter's copy keeps the original links: no click by a reader
            self.assertIn(OFFER_URL, str(interaction.mail_id.mail_message_id.body))
        first, second = interactions[:2]
        self.assertNotEqual(self._short_links(first), self._short_links(second))

    def test_tracking_off_per_template(self):
        self.template.track_links = False
        interaction = self._log_segment()[0]
        body = str(interaction.mail_id.body_html)
        self.assertIn(OFFER_URL, body)
        self.assertFalse(self._short_links(interaction))
        self.assertFalse(TRACKING_IMAGE.findall(body))


@tagged("post_install", "-at_install")
class TestOpensAndClicks(TrackingCase):
    """Following the links of an e-mail, as its contact does."""

    def test_click_redirects_and_records_the_interaction(self):
        interactions = self._log_segment()
        clicked, other = interactions[1], interactions[0]
        response = self._get(self._offer_link(clicked))
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response.headers["Location"].startswith(OFFER_URL))
        self.assertTrue(clicked.clicked_at)
        self.assertEqual(clicked.click_count, 1)
        self.assertTrue(clicked.opened_at, "a click implies an open")
        self.assertEqual(clicked.link_click_ids.link_id.url, OFFER_URL)
        self.assertEqual(clicked.link_click_ids.campaign_id, self.campaign)
        self.assertFalse(other.clicked_at or other.opened_at or other.click_count)
        first_click = clicked.clicked_at
        self._get(self._offer_link(clicked))
        self.assertEqual(clicked.click_count, 2)
        self.assertEqual(clicked.clicked_at, first_click)
        # the statistics of the logged segment, its entry and the campaign
        logged = clicked.logged_segment_id
        self.assertEqual((logged.email_count, logged.clicked_count), (3, 1))
        self.assertAlmostEqual(logged.clicked_ratio, 100.0 / 3)
        self.assertAlmostEqual(logged.opened_ratio, 100.0 / 3)
        self.assertAlmostEqual(logged.campaign_entry_ids.clicked_ratio, 100.0 / 3)
        self.assertAlmostEqual(self.campaign.clicked_ratio, 100.0 / 3)
        self.assertEqual(self.campaign.opened_count, 1)
        html, __ = self.env["ir.actions.report"]._render_qweb_html(
            "crm_campaign_segment.report_campaign_statistics", self.campaign.ids
        )
        self.assertRegex(html.decode(), r"Clicked \(%\)</td>\s*<td[^>]*>1 \(33\.3\)")
        action = self.campaign.action_view_link_clicks()
        clicks = self.env["link.tracker.click"].search(action["domain"])
        self.assertEqual(len(clicks), 2)

    def test_open_sets_opened_at_once(self):
        interaction = self._log_segment()[0]
        response = self._get(self._open_image(interaction))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        opened_at = interaction.opened_at
        self.assertTrue(opened_at)
        self.env.cr.execute(
            "UPDATE crm_interaction SET opened_at = opened_at - interval '1 hour' "
            "WHERE id = %s",
            [interaction.id],
        )
        self.env.invalidate_all()
        earlier = interaction.opened_at
        self._get(self._open_image(interaction))
        self.assertEqual(interaction.opened_at, earlier, "set once")
        self.assertFalse(interaction.clicked_at)

    def test_forged_token_changes_nothing(self):
        interactions = self._log_segment()
        victim, own = interactions[0], interactions[1]
        # the image answers whatever the token
        response = self._get(
            f"/crm_campaign_segment/track/{victim.id}/forged/blank.gif"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        # own signed link, another contact's interaction id
        path = self._offer_link(own).replace(f"/i/{own.id}/", f"/i/{victim.id}/")
        response = self._get(path)
        self.assertEqual(response.status_code, 302, "the redirect still happens")
        self.assertTrue(response.headers["Location"].startswith(OFFER_URL))
        image = self._open_image(own).replace(
            f"/track/{own.id}/", f"/track/{victim.id}/"
        )
        self._get(image)
        self.assertFalse(victim.opened_at or victim.clicked_at or victim.click_count)
        self.assertFalse(own.opened_at or own.clicked_at)
        self.assertFalse(
            self.env["link.tracker.click"].search_count(
                [("campaign_id", "=", self.campaign.id)]
            ),
            "a forged link records no click",
        )

    def test_canceled_interaction_records_nothing(self):
        interaction = self._log_segment()[0]
        interaction._as_engine().write({"canceled": True})
        self._get(self._open_image(interaction))
        self._get(self._offer_link(interaction))
        self.assertFalse(interaction.opened_at or interaction.clicked_at)


@tagged("post_install", "-at_install")
class TestClickIsResponse(TrackingCase):
    """A click on the offer is a campaign response of the template's
    evaluation: the shipped automated action opens an opportunity."""

    def test_first_click_registers_one_response(self):
        self.template.write(
            {"click_is_response": True, "click_response_evaluation": "positive"}
        )
        interaction = self._log_segment()[0]
        self._get(self._offer_link(interaction))
        response = interaction.response_ids
        self.assertEqual(len(response), 1)
        self.assertEqual(response.evaluation, "positive")
        self.assertEqual(response.response_to_id, interaction)
        self.assertTrue(response.campaign_response)
        self.assertEqual(response.campaign_id, self.campaign)
        self.assertTrue(response.lead_id, "the automated action fired")
        self.assertEqual(response.lead_id.campaign_id, self.campaign)
        # a second click, and a click on another link: no other response
        self._get(self._offer_link(interaction))
        contact_link = [
            urlparse(url).path
            for url, __, __ in self._short_links(interaction)
            if urlparse(url).path != self._offer_link(interaction)
        ]
        self._get(contact_link[0])
        self.assertEqual(interaction.click_count, 3)
        self.assertEqual(len(interaction.response_ids), 1)
        self.assertEqual(
            self.env["crm.interaction"].search_count(
                [
                    ("campaign_response", "=", True),
                    ("campaign_id", "=", self.campaign.id),
                ]
            ),
            1,
        )

    def test_click_without_response_setting_registers_none(self):
        interaction = self._log_segment()[0]
        self._get(self._offer_link(interaction))
        self.assertTrue(interaction.clicked_at)
        self.assertFalse(interaction.response_ids)


@tagged("post_install", "-at_install")
class TestDemoOpensAndClicks(TrackingCase):
    """The demo e-mail campaign shows opens, clicks and a click response."""

    def test_demo_campaign_numbers(self):
        campaign = self.env.ref(
            "crm_campaign_segment.utm_campaign_rome_email", raise_if_not_found=False
        )
        if not campaign:
            self.skipTest("installed without demo data")
        self.assertEqual(
            (campaign.email_count, campaign.opened_count, campaign.clicked_count),
            (5, 4, 1),
        )
        self.assertAlmostEqual(campaign.opened_ratio, 80.0)
        self.assertAlmostEqual(campaign.clicked_ratio, 20.0)
        [clicked] = campaign.interaction_ids.filtered("clicked_at")
        self.assertEqual(clicked.click_count, 2)
        self.assertEqual(len(clicked.link_click_ids), 2)
        [response] = clicked.response_ids
        self.assertEqual(response.evaluation, "positive")
        self.assertTrue(response.lead_id)
        [tracker] = self.env["link.tracker"].search([("campaign_id", "=", campaign.id)])
        self.assertEqual(tracker.count, 2)
        self.assertEqual(tracker.medium_id, self.env.ref("utm.utm_medium_email"))
        [logged] = campaign.campaign_entry_ids.logged_segment_id
        self.assertEqual(tracker.source_id, logged.source_id)
        self.assertAlmostEqual(logged.opened_ratio, 80.0)
