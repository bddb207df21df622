# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from lxml import etree

from odoo.tests import TransactionCase, tagged
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestCampaignStatusBar(TransactionCase):
    """The campaign form's status bar offers the campaign statuses only."""

    def _status_bar_stages(self, campaign):
        """The stages the form's status bar shows for ``campaign``, as the web
        client's statusbar widget finds them: the field's domain in the form
        view, or the campaign's current stage."""
        arch = self.env["utm.campaign"].get_views([(False, "form")])["views"]["form"][
            "arch"
        ]
        bars = etree.fromstring(arch).xpath(
            "//header/field[@name='stage_id'][@widget='statusbar']"
        )
        self.assertEqual(len(bars), 1, "one status bar on the campaign form")
        domain = safe_eval(bars[0].get("domain") or "[]")
        return self.env["utm.stage"].search(
            ["|", ("id", "=", campaign.stage_id.id)] + domain
            if domain
            else [("id", "!=", 0)]
        )

    def test_status_bar_shows_campaign_statuses_only(self):
        Stage = self.env["utm.stage"]
        # a stage another app creates (mass mailing, a kanban column), no code
        other_app = Stage.create({"name": "Design", "sequence": 2})
        # a status a campaign manager adds, with its code
        added = Stage.create({"name": "Follow-up", "code": "6-FOLLOW", "sequence": 6})
        campaign = self.env["utm.campaign"].create({"title": "Status bar"})
        self.assertEqual(campaign.stage_id.code, "1-PLAN")

        shown = self._status_bar_stages(campaign)
        self.assertEqual(
            shown.mapped("code"),
            ["1-PLAN", "2-APP", "3-INIT", "4-SCH", "5-START", "6-FOLLOW", "9-DONE"],
        )
        self.assertIn(added, shown)
        self.assertNotIn(other_app, shown)
        default = self.env.ref("utm.default_utm_stage", raise_if_not_found=False)
        if default:
            self.assertNotIn(default, shown)

    def test_status_bar_keeps_a_foreign_current_stage(self):
        """A campaign another app left in a stage without code still shows it."""
        other_app = self.env["utm.stage"].create({"name": "Sent", "sequence": 3})
        campaign = self.env["utm.campaign"].create(
            {"title": "From mass mailing", "stage_id": other_app.id}
        )
        shown = self._status_bar_stages(campaign)
        self.assertIn(other_app, shown)
        self.assertIn("9-DONE", shown.mapped("code"))
        self.assertEqual(len(shown.filtered(lambda s: not s.code)), 1)
