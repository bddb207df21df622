# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The model is the contract (continued): values that follow the template and
history that cannot be deleted; over RPC as a Campaign User, as in the form
and from an automated action."""

from odoo.tests import Form, tagged

from .test_rpc_contract import ACCESS_ERROR, RpcContractCase

TEMPLATE_VALUES = {
    "unit_cost": 3.0,
    "unit_duration": 0.5,
    "information_flow": "outbound",
    "initiated_by": "us",
    "correspondence_type": "hard_copy",
    "lang": "en_US",
}


@tagged("post_install", "-at_install")
class TestTemplateValuesOverRpc(RpcContractCase):
    """Issue case 7: what follows the template is computed, not onchange-only."""

    def _segment_values(self, segment_id):
        return self.read_as_user("crm.segment", [segment_id], list(TEMPLATE_VALUES))[
            segment_id
        ]

    def test_case7_segment_follows_template_on_every_path(self):
        # over RPC: created without template, the template written afterwards
        segment_id = self.ok(
            self.user, "crm.segment", "create", {"description": "Set over RPC"}
        )
        self.assertEqual(self._segment_values(segment_id)["unit_cost"], 0.0)
        self.ok(
            self.user,
            "crm.segment",
            "write",
            [segment_id],
            {"interaction_template_id": self.template.id},
        )
        self.assertEqual(self._segment_values(segment_id), TEMPLATE_VALUES)
        # in the form
        form = Form(self.env["crm.segment"].with_user(self.user))
        form.description = "Set in the form"
        form.interaction_template_id = self.template
        for fname, value in TEMPLATE_VALUES.items():
            self.assertEqual(form[fname], value, fname)
        form_segment = form.save()
        self.assertEqual(self._segment_values(form_segment.id), TEMPLATE_VALUES)
        # from an automated action (a server action writing the template)
        action = self.env["ir.actions.server"].create(
            {
                "name": "Set the contract template",
                "model_id": self.env["ir.model"]._get_id("crm.segment"),
                "state": "code",
                "code": "record.write({'interaction_template_id': "
                f"{self.template.id}}})",
            }
        )
        automated = self.env["crm.segment"].create({"description": "Automated"})
        action.with_context(active_model="crm.segment", active_id=automated.id).run()
        self.assertEqual(self._segment_values(automated.id), TEMPLATE_VALUES)
        # logging it gives the template's cost, not 0
        self.ok(
            self.user,
            "crm.segment.line",
            "create",
            [
                {"segment_id": segment_id, "partner_id": partner.id}
                for partner in self.partners[:2]
            ],
        )
        logged_id = self.ok(self.user, "crm.segment", "log_segment", [segment_id])
        costs = self.xmlrpc(
            self.user,
            "crm.interaction",
            "search_read",
            [("logged_segment_id", "=", logged_id)],
            ["cost", "duration"],
        )
        self.assertEqual(
            [(row["cost"], row["duration"]) for row in costs], [(3.0, 0.5)] * 2
        )

    def test_user_overrides_what_follows_the_template(self):
        segment_id = self.ok(
            self.user,
            "crm.segment",
            "create",
            {
                "description": "Cheaper",
                "interaction_template_id": self.template.id,
                "unit_cost": 1.25,
            },
        )
        values = self._segment_values(segment_id)
        self.assertEqual(values["unit_cost"], 1.25)
        self.assertEqual(values["unit_duration"], 0.5)
        self.ok(
            self.user,
            "crm.segment",
            "write",
            [segment_id],
            {"unit_duration": 2.0, "correspondence_type": "email"},
        )
        values = self._segment_values(segment_id)
        self.assertEqual((values["unit_cost"], values["unit_duration"]), (1.25, 2.0))
        self.assertEqual(values["correspondence_type"], "email")

    def test_line_follows_its_template(self):
        email_template = self.template.copy(
            {
                "code": "RPCC-MAIL",
                "correspondence_type": "email",
                "ignore_partner_correspondence_type": True,
            }
        )
        line_id = self.ok(
            self.user,
            "crm.segment.line",
            "create",
            {
                "segment_id": self.draft.id,
                "partner_id": self.partners[3].id,
                "interaction_template_id": email_template.id,
            },
        )
        line = self.read_as_user(
            "crm.segment.line", [line_id], ["correspondence_type", "lang"]
        )[line_id]
        self.assertEqual(line, {"correspondence_type": "email", "lang": "en_US"})
        self.ok(
            self.user,
            "crm.segment.line",
            "write",
            [line_id],
            {"interaction_template_id": self.template.id},
        )
        line = self.read_as_user("crm.segment.line", [line_id], ["correspondence_type"])
        self.assertEqual(line[line_id]["correspondence_type"], "hard_copy")
        # a value given with the template wins
        self.ok(
            self.user,
            "crm.segment.line",
            "write",
            [line_id],
            {
                "interaction_template_id": email_template.id,
                "correspondence_type": "hard_copy",
            },
        )
        line = self.read_as_user(
            "crm.segment.line",
            [line_id],
            ["correspondence_type", "interaction_template_id"],
        )[line_id]
        self.assertEqual(line["correspondence_type"], "hard_copy")
        self.assertEqual(line["interaction_template_id"][0], email_template.id)

    def test_form_still_asks_to_update_the_lines(self):
        form = Form(self.draft.with_user(self.user))
        with self.assertLogs("odoo.tests.form.onchange", "WARNING") as logs:
            form.ignore_partner_correspondence_type = True
            form.correspondence_type = "email"
        self.assertIn("Update the lines?", logs.output[0])
        form.save()
        lines = self.read_as_user(
            "crm.segment.line", self.draft.line_ids.ids, ["correspondence_type"]
        )
        self.assertEqual(
            {line["correspondence_type"] for line in lines.values()}, {"email"}
        )


@tagged("post_install", "-at_install")
class TestHistoryIsKeptOverRpc(RpcContractCase):
    """Issue case 6: what logged interactions refer to is archived, not
    deleted."""

    def test_case6_template_in_use_cannot_be_deleted(self):
        # a Campaign User may not delete templates at all
        self.refused(
            self.user,
            "crm.interaction.template",
            "unlink",
            self.template.ids,
            error=ACCESS_ERROR,
        )
        message = self.refused(
            self.manager,
            "crm.interaction.template",
            "unlink",
            self.template.ids,
            names=[self.template.display_name, "archive"],
        )
        self.assertIn("logged interactions", message)
        rows = self.read_as_user(
            "crm.interaction", self.interactions.ids, ["template_id", "group_id"]
        )
        for row in rows.values():
            self.assertEqual(row["template_id"][0], self.template.id)
            self.assertEqual(row["group_id"][0], self.group.id)
        # archiving works, and the history keeps it
        self.ok(
            self.manager,
            "crm.interaction.template",
            "write",
            self.template.ids,
            {"active": False},
        )
        self.assertFalse(
            self.xmlrpc(
                self.user,
                "crm.interaction.template",
                "search",
                [("id", "=", self.template.id)],
            )
        )
        rows = self.read_as_user(
            "crm.interaction", self.interactions.ids, ["template_id"]
        )
        self.assertEqual(
            {row["template_id"][0] for row in rows.values()}, {self.template.id}
        )
        # an unused template can still be deleted
        unused = self.template.copy({"code": "RPCC-UNUSED"})
        self.ok(self.manager, "crm.interaction.template", "unlink", unused.ids)

    def test_interaction_group_and_campaign_in_use_cannot_be_deleted(self):
        for model, record in (
            ("crm.interaction.group", self.group),
            ("utm.campaign", self.campaign),
        ):
            with self.subTest(model=model):
                self.refused(
                    self.manager,
                    model,
                    "unlink",
                    record.ids,
                    names=[record.display_name, "archive"],
                )
                self.ok(self.manager, model, "write", record.ids, {"active": False})
                self.assertEqual(self.count(model, [("id", "=", record.id)]), 1)
        rows = self.read_as_user(
            "crm.interaction", self.interactions.ids, ["group_id", "campaign_id"]
        )
        for row in rows.values():
            self.assertEqual(row["group_id"][0], self.group.id)
            self.assertEqual(row["campaign_id"][0], self.campaign.id)
        entry = self.read_as_user("crm.campaign.entry", self.entry.ids, ["campaign_id"])
        self.assertEqual(entry[self.entry.id]["campaign_id"][0], self.campaign.id)
