# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The model is the contract (continued): what logging made is the engine's.
Logged segments and campaign entries, cancel and restore, chatter summaries
and letters; over RPC as a Campaign User."""

import json

from odoo.tests import tagged

from .test_rpc_contract import ACCESS_ERROR, PASSWORD, USER_ERROR, RpcContractCase


@tagged("post_install", "-at_install")
class TestLoggedSegmentOverRpc(RpcContractCase):
    """The logging job's fields and letters belong to the engine."""

    def test_logged_segment_job_fields_belong_to_the_engine(self):
        """The job's status and links are set by logging, even for managers."""
        name = self.logged.display_name
        for user, vals in (
            (self.manager, {"job_state": "queued"}),
            (self.manager, {"line_total": 0}),
            (self.user, {"follow_up_segment_id": self.draft.id}),
            (self.user, {"segment_id": self.draft.id}),
            (self.manager, {"canceled": True}),
        ):
            with self.subTest(user=user.login, vals=vals):
                self.refused(
                    user,
                    "crm.logged.segment",
                    "write",
                    self.logged.ids,
                    vals,
                    error=ACCESS_ERROR,
                    names=[name],
                )
        # logged segments and campaign entries are made by logging only
        for user in (self.user, self.manager):
            with self.subTest(user=user.login):
                self.refused(
                    user,
                    "crm.logged.segment",
                    "create",
                    {"description": "Made up"},
                    error=ACCESS_ERROR,
                )
                self.refused(
                    user,
                    "crm.campaign.entry",
                    "create",
                    {"campaign_id": self.campaign.id, "description": "Made up"},
                    error=ACCESS_ERROR,
                )
        self.assertFalse(
            self.count("crm.logged.segment", [("description", "=", "Made up")])
        )
        self.assertFalse(
            self.count("crm.campaign.entry", [("description", "=", "Made up")])
        )
        row = self.read_as_user(
            "crm.logged.segment",
            self.logged.ids,
            [
                "job_state",
                "line_total",
                "follow_up_segment_id",
                "segment_id",
                "canceled",
            ],
        )[self.logged.id]
        self.assertEqual(row["job_state"], "done")
        self.assertEqual(row["line_total"], 3)
        self.assertFalse(row["follow_up_segment_id"])
        self.assertEqual(row["segment_id"][0], self.source.id)
        self.assertFalse(row["canceled"])

    def test_letters_context_stays_within_its_logged_segment(self):
        """The letter report of a logged segment prints its own letters only,
        whatever interaction ids a client puts in the context."""
        other = (
            self.env["crm.segment"]
            .with_user(self.user)
            .create(
                {
                    "description": "Another letter",
                    "interaction_template_id": self.template.id,
                }
            )
        )
        self.env["crm.segment.line"].with_user(self.user).create(
            {"segment_id": other.id, "partner_id": self.partners[3].id}
        )
        other_logged = self.env["crm.logged.segment"].browse(other.log_segment())
        self.authenticate(self.user.login, PASSWORD)
        report = "crm_campaign_segment.report_crm_logged_segment_letters"
        own = self.url_open(f"/report/html/{report}/{self.logged.id}")
        self.assertEqual(own.status_code, 200)
        self.assertIn("Contract Contact 0", own.text)
        context = json.dumps(
            {"crm_letter_interaction_ids": other_logged.interaction_ids.ids}
        )
        forged = self.url_open(
            f"/report/html/{report}/{self.logged.id}?context={context}"
        )
        self.assertEqual(forged.status_code, 200)
        self.assertNotIn("Contract Contact 3", forged.text)


@tagged("post_install", "-at_install")
class TestCancelRestoreOverRpc(RpcContractCase):
    """Cancel and restore are two actions, refusing what does not apply, with
    the same rights whichever record the cascade starts from."""

    def _canceled(self):
        logged = self.read_as_user("crm.logged.segment", self.logged.ids, ["canceled"])
        entry = self.read_as_user("crm.campaign.entry", self.entry.ids, ["canceled"])
        interactions = self.read_as_user(
            "crm.interaction", self.interactions.ids, ["canceled"]
        )
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
        logged = self.read_as_user(
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
