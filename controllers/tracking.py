# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Opens and clicks of campaign e-mails, reached without logging in.

Both links are signed per interaction (``crm.interaction.tracking``): a forged
or expired one records nothing, but the image is always answered and the
short link always leads to its page.
"""

import base64

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

from ..models.crm_interaction_tracking import CLICK_ROUTE, OPEN_ROUTE

# a transparent 1x1 GIF
BLANK_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


class CrmTrackingController(http.Controller):
    @http.route(OPEN_ROUTE, type="http", auth="public", methods=["GET"], sitemap=False)
    def crm_track_open(self, interaction_id, token, **kwargs):
        request.env["crm.interaction.tracking"].sudo()._track_open(
            interaction_id, token
        )
        return request.make_response(
            BLANK_GIF,
            headers=[
                ("Content-Type", "image/gif"),
                ("Cache-Control", "no-store"),
            ],
        )

    @http.route(CLICK_ROUTE, type="http", auth="public", methods=["GET"], sitemap=False)
    def crm_track_click(self, code, interaction_id, token, **kwargs):
        if not request.env["ir.http"].is_a_bot():
            request.env["crm.interaction.tracking"].sudo()._track_click(
                code,
                interaction_id,
                token,
                ip=request.httprequest.remote_addr,
                country_code=request.geoip.country_code,
            )
        redirect_url = request.env["link.tracker"].get_url_from_code(code)
        if not redirect_url:
            raise NotFound()
        # 302, not cached: each click of the contact is counted
        return request.redirect(redirect_url, code=302, local=False)
