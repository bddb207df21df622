# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Unsubscribe pages of campaign e-mails, reached without logging in.

The link is signed per contact and address (``res.partner._consent_token``).
``GET`` only shows a page where the person confirms (mail scanners follow
links); the one-click ``POST`` of RFC 8058 (body ``List-Unsubscribe=One-Click``)
opts out at once; the page's form confirms with the person's choice.
"""

from odoo import http
from odoo.http import request

from ..models.res_partner import UNSUBSCRIBE_ROUTE

LINK_FIELDS = ("partner_id", "email", "topic", "ts", "token")


class CrmConsentController(http.Controller):
    def _consent_link(self, kwargs):
        """(contact, topic) of a valid signed link, else (None, None)."""
        Partner = request.env["res.partner"].sudo()
        partner = Partner._consent_check_token(
            kwargs.get("partner_id"),
            kwargs.get("email"),
            kwargs.get("topic") or 0,
            kwargs.get("ts"),
            kwargs.get("token"),
        )
        if not partner:
            return None, None
        topic = (
            request.env["crm.mailing.group"]
            .sudo()
            .browse(int(kwargs.get("topic") or 0))
        )
        if topic and not topic.exists():
            return None, None
        langs = [code for code, __ in request.env["res.lang"].get_installed()]
        if partner.lang in langs:
            request.update_context(lang=partner.lang)
        return partner, topic

    def _consent_render(self, template, values=None, status=200):
        response = request.render(f"crm_campaign_segment.{template}", values or {})
        response.status_code = status
        return response

    def _consent_refuse(self):
        return self._consent_render("consent_page_refused", status=403)

    @http.route(
        UNSUBSCRIBE_ROUTE,
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        sitemap=False,
    )
    def unsubscribe(self, **kwargs):
        partner, topic = self._consent_link(kwargs)
        if not partner:
            return self._consent_refuse()
        email = kwargs["email"]
        if request.httprequest.method == "POST":
            if request.httprequest.form.get("List-Unsubscribe") != "One-Click":
                return self._consent_refuse()
            partner._consent_opt_out(email, topic, source="one_click")
            return self._consent_render(
                "consent_page_done", {"topic": topic, "email": email}
            )
        return self._consent_render(
            "consent_page_confirm",
            {
                "topic": topic,
                "email": email,
                "link": {name: kwargs.get(name) or "" for name in LINK_FIELDS},
                "action": f"{UNSUBSCRIBE_ROUTE}/confirm",
            },
        )

    @http.route(
        f"{UNSUBSCRIBE_ROUTE}/confirm",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        sitemap=False,
    )
    def unsubscribe_confirm(self, **kwargs):
        """The person confirmed on the page: topic or everything, a reason."""
        partner, topic = self._consent_link(kwargs)
        if not partner:
            return self._consent_refuse()
        scope = kwargs.get("scope") or ("topic" if topic else "all")
        if scope not in ("topic", "all") or (scope == "topic" and not topic):
            return self._consent_refuse()
        chosen = topic if scope == "topic" else topic.browse()
        reason = (kwargs.get("reason") or "").strip()[:2000]
        partner._consent_opt_out(kwargs["email"], chosen, source="link", reason=reason)
        return self._consent_render(
            "consent_page_done", {"topic": chosen, "email": kwargs["email"]}
        )
