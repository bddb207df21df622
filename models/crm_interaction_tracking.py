# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Opens and clicks of campaign e-mails, as a service
(``crm.interaction.tracking``), in the manner of Odoo's Email Marketing.

Links: when a batch of e-mails is queued, the links of its bodies are
shortened through Odoo's ``link_tracker``, as ``mail.render.mixin``'s
``_shorten_links`` does for Email Marketing: one ``link.tracker`` per
distinct link of the batch (UTM campaign of the interaction, medium E-mail,
the logged segment's source), then each contact's link gets the suffix of
its interaction, signed (``/r/<code>/i/<interaction>/<token>``), as Email
Marketing adds ``/m/<trace>``.  The unsubscribe link and ``mailto:`` /
``tel:`` links stay as they are.

Opens: a signed 1x1 image per e-mail.  The public routes
(``controllers/tracking.py``) call ``_track_open`` and ``_track_click``: a
forged token, or the interaction of a canceled entry, changes nothing; the
first click of a template whose clicks are responses registers one through
``crm.interaction.action_register_response``, as a manual one.
"""

import logging

import lxml.html
import markupsafe

from odoo import SUPERUSER_ID, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, consteq, hmac
from odoo.tools.mail import URL_SKIP_PROTOCOL_REGEX, append_content_to_html

from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels

from .res_partner import UNSUBSCRIBE_ROUTE

_logger = logging.getLogger(__name__)

TRACKING_SCOPE = "crm_campaign_segment-interaction-tracking"
CLICK_ROUTE = "/r/<string:code>/i/<int:interaction_id>/<string:token>"
OPEN_ROUTE = "/crm_campaign_segment/track/<int:interaction_id>/<string:token>/blank.gif"
OPEN_PATH = "/crm_campaign_segment/track/%(interaction)s/%(token)s/blank.gif"
# links never shortened: the unsubscribe pages (their own signed link)
TRACKING_SKIP = (UNSUBSCRIBE_ROUTE,)


class CrmInteractionTracking(models.AbstractModel):
    _name = "crm.interaction.tracking"
    _description = "Interaction Tracking"

    # -------------------------------------------------------------------------
    # SIGNING
    # -------------------------------------------------------------------------
    def _track_token(self, interaction_id):
        """The signature of the tracking links of one interaction's e-mail
        (HMAC with the database secret)."""
        return hmac(self.env(su=True), TRACKING_SCOPE, int(interaction_id))

    def _track_check(self, interaction_id, token):
        """The interaction of a valid signed link, still counted (not
        canceled), as superuser; else an empty record set."""
        Interaction = self.env["crm.interaction"].sudo()
        try:
            interaction_id = int(interaction_id)
        except (TypeError, ValueError):
            return Interaction
        if not token or not consteq(str(token), self._track_token(interaction_id)):
            return Interaction
        interaction = Interaction.browse(interaction_id).exists()
        if not interaction or interaction.canceled:
            return Interaction
        return interaction

    # -------------------------------------------------------------------------
    # E-MAILS: SHORT LINKS AND THE TRACKING IMAGE
    # -------------------------------------------------------------------------
    def _track_emails(self, interactions, vals_list):
        """Track the e-mails ``vals_list`` of ``interactions`` (one batch, in
        the same order): short links and the tracking image in the body sent
        (``body_html``); the chatter's copy (``body``) keeps the original
        links, so that a user reading it clicks for no contact."""
        tracked = [
            (interaction, values)
            for interaction, values in zip(interactions, vals_list, strict=True)
            if interaction.template_id.track_links and values.get("body_html")
        ]
        if not tracked:
            return
        base_url = interactions[0].get_base_url()
        parsed = self._track_parse_bodies(
            [values["body_html"] for __, values in tracked], base_url
        )
        trackers = self._track_link_trackers(
            [interaction for interaction, __ in tracked],
            [links for __, links in parsed],
        )
        for (interaction, values), (root, links) in zip(tracked, parsed, strict=True):
            token = self._track_token(interaction.id)
            suffix = f"/i/{interaction.id}/{token}"
            for node, link in links:
                tracker = trackers[
                    interaction.campaign_id.id, link["url"], link["label"]
                ]
                node.set("href", tracker + suffix)
            body = self._track_serialize(root)
            image = markupsafe.Markup(
                '<img src="%s" alt="" width="1" height="1" style="border:0"/>'
            ) % (base_url + OPEN_PATH % {"interaction": interaction.id, "token": token})
            values["body_html"] = append_content_to_html(body, image, plaintext=False)

    def _track_parse_bodies(self, bodies, base_url):
        """[(lxml root, [(link node, {url, label})])] of ``bodies``: the links
        to shorten, found as ``_shorten_links`` finds them."""
        parsed = []
        for body in bodies:
            # the body as a fragment, under a parent that is not written back
            root = lxml.html.fragment_fromstring(str(body), create_parent="div")
            nodes, urls_and_labels = find_links_with_urls_and_labels(
                root,
                base_url,
                skip_regex=rf"^{URL_SKIP_PROTOCOL_REGEX}",
                skip_prefix=base_url + "/r/",
                skip_list=TRACKING_SKIP,
            )
            parsed.append((root, list(zip(nodes, urls_and_labels, strict=True))))
        return parsed

    def _track_serialize(self, root):
        """The HTML of the fragment under ``root``, without ``root``."""
        return markupsafe.escape(root.text or "") + markupsafe.Markup(
            "".join(
                lxml.html.tostring(child, encoding="unicode", method="xml")
                for child in root
            )
        )

    def _track_link_trackers(self, interactions, links_list):
        """{(campaign id, url, label): short URL} of the distinct links of a
        batch: one ``link.tracker.search_or_create`` for the whole batch."""
        medium = self.env.ref("utm.utm_medium_email", raise_if_not_found=False)
        vals_by_key = {}
        for interaction, links in zip(interactions, links_list, strict=True):
            for __, link in links:
                key = (interaction.campaign_id.id, link["url"], link["label"])
                if key in vals_by_key:
                    continue
                vals_by_key[key] = {
                    "url": link["url"],
                    "label": link["label"],
                    "campaign_id": interaction.campaign_id.id,
                    "medium_id": medium.id if medium else False,
                    "source_id": interaction.logged_segment_id.source_id.id,
                }
        if not vals_by_key:
            return {}
        trackers = (
            self.env["link.tracker"].sudo().search_or_create(list(vals_by_key.values()))
        )
        return dict(zip(vals_by_key, trackers.mapped("short_url"), strict=True))

    # -------------------------------------------------------------------------
    # OPENS AND CLICKS (the public routes)
    # -------------------------------------------------------------------------
    def _track_open(self, interaction_id, token):
        """An open of the e-mail of a signed link: ``opened_at``, once."""
        interaction = self._track_check(interaction_id, token)
        if not interaction:
            return False
        self._track_write(interaction, click=False)
        return True

    def _track_click(self, code, interaction_id, token, **route_values):
        """A click on a short link of the e-mail of a signed link: the
        ``link.tracker.click`` of the interaction, ``clicked_at`` (first
        click), ``click_count``, an open; the first click of a template
        whose clicks are responses registers one.  A forged or expired
        link records nothing."""
        interaction = self._track_check(interaction_id, token)
        if not interaction:
            return False
        click = (
            self.env["link.tracker.click"]
            .sudo()
            .add_click(code, interaction_id=interaction.id, **route_values)
        )
        if not click:
            return False
        first = self._track_write(interaction, click=True)
        if first and interaction.template_id.click_is_response:
            self._track_click_response(interaction)
        return True

    def _track_write(self, interaction, click):
        """Record an open (and a click) of ``interaction``, row locked so that
        two requests at once count one first click.

        :return: whether it was the interaction's first click (open)
        """
        self.env.flush_all()
        [(opened_at, clicked_at, click_count)] = self.env.execute_query(
            SQL(
                "SELECT opened_at, clicked_at, click_count FROM crm_interaction "
                "WHERE id = %s FOR NO KEY UPDATE",
                interaction.id,
            )
        )
        now = fields.Datetime.now()
        values = {}
        if not opened_at:
            values["opened_at"] = now
        if click:
            values["click_count"] = (click_count or 0) + 1
            if not clicked_at:
                values["clicked_at"] = now
        if values:
            interaction._as_engine().write(values)
        return not (clicked_at if click else opened_at)

    def _track_click_response(self, interaction):
        """The campaign response of a first click, with the template's
        evaluation, registered as the engine (the route is public): the
        automated actions on responses run as for a manual one."""
        if not interaction.campaign_id or interaction.campaign_response:
            return self.env["crm.interaction"]
        engine = interaction.with_user(SUPERUSER_ID)._as_engine()
        evaluation = interaction.template_id.click_response_evaluation or None
        try:
            with self.env.cr.savepoint():
                return engine.browse(
                    engine.action_register_response(evaluation=evaluation)
                )
        except UserError as error:
            # e.g. the contact already answered with this evaluation
            _logger.info("Click on %s: no response (%s)", interaction, error)
            return self.env["crm.interaction"]
