# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The model is the contract (continued): values that follow the template,
history that cannot be deleted, cancel and restore, chatter summaries; over
RPC as a Campaign User, as in the form and from an automated action."""

from odoo.tests import Form, tagged

from .test_rpc_contract import ACCESS_ERROR, USER_ERROR, RpcContractCase

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
        return self.read("crm.segment", [segment_id], list(TEMPLATE_VALUES))[segment_id]

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
        line = self.read(
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
        line = self.read("crm.segment.line", [line_id], ["correspondence_type"])
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
        line = self.read(
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
        lines = self.read(
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
        rows = self.read(
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
        rows = self.read("crm.interaction", self.interactions.ids, ["template_id"])
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
        rows = self.read(
            "crm.interaction", self.interactions.ids, ["group_id", "campaign_id"]
        )
        for row in rows.values():
            self.assertEqual(row["group_id"][0], self.group.id)
            self.assertEqual(row["campaign_id"][0], self.campaign.id)
        entry = self.read("crm.campaign.entry", self.entry.ids, ["campaign_id"])
        self.assertEqual(entry[self.entry.id]["campaign_id"][0], self.campaign.id)


@tagged("post_install", "-at_install")
class TestCancelRestoreOverRpc(RpcContractCase):
    """Cancel and restore are two actions, refusing what does not apply, with
    the same rights whichever record the cascade starts from."""

    def _canceled(self):
        logged = self.read("crm.logged.segment", self.logged.ids, ["canceled"])
        entry = self.read("crm.campaign.entry", self.entry.ids, ["canceled"])
        interactions = self.read("crm.interaction", self.interactions.ids, ["canceled"])
        return (
            logged[self.logged.id]["canceled"],
            entry[self.entry.id]["canceled"],
            [interactions[i]["canceled"] for i in self.interactions.ids],
        )

    def test_cascades_need_a_manager_from_either_end(self):
        for model, record in (
            ("crm.logged.segment", self.logged),
            ("crm.campaign.entry", self.entry),
        ):
            with self.subTest(model=model):
                self.refused(
                    self.user,
                    model,
                    "action_cancel",
                    record.ids,
                    error=ACCESS_ERROR,
                    names=[record.display_name],
                )
        self.assertEqual(self._canceled(), (False, False, [False] * 3))

    def test_cancel_and_restore_from_the_logged_segment(self):
        self.ok(self.manager, "crm.logged.segment", "action_cancel", self.logged.ids)
        self.assertEqual(self._canceled(), (True, True, [True] * 3))
        # canceling twice no longer restores
        self.refused(
            self.manager,
            "crm.logged.segment",
            "action_cancel",
            self.logged.ids,
            names=[self.logged.display_name, "canceled already"],
        )
        self.assertEqual(self._canceled(), (True, True, [True] * 3))
        # nothing below restores while the logged segment is canceled
        self.refused(
            self.manager,
            "crm.campaign.entry",
            "action_restore",
            self.entry.ids,
            names=[self.entry.display_name],
        )
        self.refused(
            self.user,
            "crm.interaction",
            "action_restore",
            self.interactions[:1].ids,
            names=[self.interactions[0].display_name],
        )
        self.assertEqual(self._canceled(), (True, True, [True] * 3))
        self.ok(self.manager, "crm.logged.segment", "action_restore", self.logged.ids)
        self.assertEqual(self._canceled(), (False, False, [False] * 3))
        self.refused(
            self.manager,
            "crm.logged.segment",
            "action_restore",
            self.logged.ids,
            names=[self.logged.display_name, "nothing to restore"],
        )

    def test_cancel_and_restore_from_the_campaign_entry(self):
        self.ok(self.manager, "crm.campaign.entry", "action_cancel", self.entry.ids)
        self.assertEqual(self._canceled(), (False, True, [True] * 3))
        self.refused(
            self.manager, "crm.campaign.entry", "action_cancel", self.entry.ids
        )
        self.refused(
            self.user,
            "crm.campaign.entry",
            "action_restore",
            self.entry.ids,
            error=ACCESS_ERROR,
        )
        self.assertEqual(self._canceled(), (False, True, [True] * 3))
        self.ok(self.manager, "crm.campaign.entry", "action_restore", self.entry.ids)
        self.assertEqual(self._canceled(), (False, False, [False] * 3))

    def test_cancel_and_restore_one_interaction(self):
        first = self.interactions[:1]
        self.refused(
            self.user,
            "crm.interaction",
            "action_restore",
            first.ids,
            names=[first.display_name, "nothing to restore"],
        )
        self.ok(self.user, "crm.interaction", "action_cancel", first.ids)
        self.assertEqual(self._canceled(), (False, False, [True, False, False]))
        self.refused(
            self.user,
            "crm.interaction",
            "action_cancel",
            first.ids,
            names=[first.display_name, "canceled already"],
        )
        self.ok(self.user, "crm.interaction", "action_restore", first.ids)
        self.assertEqual(self._canceled(), (False, False, [False] * 3))


@tagged("post_install", "-at_install")
class TestChatterOverRpc(RpcContractCase):
    """A user without an e-mail address logs a segment; its summaries are
    logged notes of that user."""

    def test_user_without_email_logs_and_sends_letters(self):
        self.assertFalse(self.user.email)
        logged_id = self.ok(
            self.user,
            "crm.segment",
            "log_segment",
            [self.draft.id],
            send=True,
            create_follow_up=True,
        )
        messages = self.xmlrpc(
            self.user,
            "mail.message",
            "search_read",
            [("model", "=", "crm.logged.segment"), ("res_id", "=", logged_id)],
            ["body", "author_id", "attachment_ids"],
        )
        bodies = " ".join(message["body"] for message in messages)
        self.assertIn("2 letters to print", bodies)
        self.assertIn("logged: 2 interactions", bodies)
        self.assertEqual(
            {message["author_id"][0] for message in messages},
            {self.user.partner_id.id},
        )
        self.assertTrue(any(message["attachment_ids"] for message in messages))
        logged = self.read(
            "crm.logged.segment", [logged_id], ["job_state", "follow_up_segment_id"]
        )[logged_id]
        self.assertEqual(logged["job_state"], "done")
        self.assertTrue(logged["follow_up_segment_id"])

    def test_refusals_are_not_hidden_behind_a_generic_message(self):
        """A refusal names the record; USER_ERROR and ACCESS_ERROR are the
        exceptions clients see, not a server error."""
        message = self.refused(
            self.user,
            "crm.segment",
            "log_segment",
            [self.source.id],
            error=USER_ERROR,
            names=[self.source.display_name],
        )
        self.assertIn("logged already", message)
