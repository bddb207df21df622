# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Replies to campaign e-mails become campaign responses."""

from odoo.tests import tagged

from .response_common import ResponseCase

REPLY = """From: {author}
To: seller@cronus.example
Subject: Re: The Rome Guest Chair
Message-ID: <{msg_id}@rome.example.com>
In-Reply-To: {parent}
References: {parent}
Date: Tue, 01 Dec 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
{extra}
{body}
"""


@tagged("post_install", "-at_install")
class TestReplyBecomesResponse(ResponseCase):
    def setUp(self):
        super().setUp()
        with self.mock_mail_gateway():
            self.sent = self._log_segment()
            self.sent.mail_id.send()
        self.answered = self.sent[0]
        self.Interaction = self.env["crm.interaction"]

    def _reply(self, interaction, msg_id, extra="", body="I would like an offer."):
        parent = interaction.mail_id.message_id
        self.assertTrue(parent, "the campaign e-mail has a Message-Id")
        message = REPLY.format(
            author=interaction.partner_id.email_formatted,
            msg_id=msg_id,
            parent=parent,
            extra=extra,
            body=body,
        )
        return self.env["mail.thread"].message_process(None, message)

    def _responses(self):
        return self.Interaction.search(
            [("campaign_id", "=", self.campaign.id), ("campaign_response", "=", True)]
        )

    def test_reply_makes_one_response(self):
        self.assertEqual(self.answered.delivery_status, "delivered")
        # what threading needs from logging: the sent e-mail's message has a
        # Message-Id and belongs to the interaction it was sent for
        message = self.answered.sudo().mail_id.mail_message_id
        self.assertTrue(message.message_id)
        self.assertEqual(
            (message.model, message.res_id), ("crm.interaction", self.answered.id)
        )
        response_id = self._reply(self.answered, "reply-1")
        response = self._responses()
        self.assertEqual(len(response), 1)
        self.assertEqual(response.id, response_id)
        self.assertEqual(response.response_to_id, self.answered)
        self.assertEqual(response.partner_id, self.answered.partner_id)
        self.assertEqual(response.campaign_id, self.campaign)
        self.assertEqual(response.information_flow, "inbound")
        self.assertEqual(response.initiated_by, "them")
        self.assertEqual(
            response.template_id,
            self.env.ref("crm_campaign_segment.interaction_template_resp"),
        )
        self.assertEqual(response.user_id, self.user)
        self.assertEqual(response.subject, "Re: The Rome Guest Chair")
        # the reply is in the response's chatter, not on the campaign e-mail
        bodies = response.message_ids.mapped("body")
        self.assertTrue(any("I would like an offer." in body for body in bodies))
        self.assertFalse(
            any(
                "I would like an offer." in body
                for body in self.answered.message_ids.mapped("body")
            )
        )
        self.assertEqual(self.answered.response_count, 1)
        self.assertTrue(self.answered.campaign_responded)
        self.assertEqual(self.campaign.response_contact_count, 1)

    def test_second_reply_goes_to_the_same_response(self):
        self._reply(self.answered, "reply-1")
        self._reply(self.answered, "reply-2", body="And the price for 20 chairs?")
        response = self._responses()
        self.assertEqual(len(response), 1)
        self.assertTrue(
            any("20 chairs" in body for body in response.message_ids.mapped("body"))
        )

    def test_campaign_response_template(self):
        template = self.env["crm.interaction.template"].create(
            {"code": "RESP-OWN", "name": "Answer to the chair e-mail", "unit_cost": 1}
        )
        self.campaign.response_template_id = template
        self._reply(self.answered, "reply-1")
        self.assertEqual(self._responses().template_id, template)
        self.assertEqual(self._responses().cost, 1)

    def test_auto_reply_is_no_response(self):
        for index, header in enumerate(
            (
                "Auto-Submitted: auto-replied",
                "X-Autoreply: yes",
                "Precedence: auto_reply",
            )
        ):
            self._reply(
                self.answered, f"ooo-{index}", extra=header, body="Out of office."
            )
        self.assertFalse(self._responses())
        # the automatic replies stay on the campaign e-mail, where Odoo routes them
        self.assertEqual(
            len(
                self.answered.message_ids.filtered(
                    lambda m: "Out of office." in (m.body or "")
                )
            ),
            3,
        )

    def test_out_of_office_subject_is_no_response(self):
        message = REPLY.format(
            author=self.answered.partner_id.email_formatted,
            msg_id="ooo-subject",
            parent=self.answered.mail_id.message_id,
            extra="",
            body="Back on Monday.",
        ).replace("Subject: Re: The Rome Guest Chair", "Subject: Autosvar: Borte")
        self.env["mail.thread"].message_process(None, message)
        self.assertFalse(self._responses())

    def test_auto_submitted_no_is_a_person(self):
        self._reply(self.answered, "reply-1", extra="Auto-Submitted: no")
        self.assertEqual(len(self._responses()), 1)

    def test_reply_to_other_messages_keeps_its_route(self):
        # a reply to a message that is no campaign e-mail: Odoo's ordinary route
        note = self.company_partner.message_post(body="Hello", message_type="comment")
        message = REPLY.format(
            author=self.partners[0].email_formatted,
            msg_id="other-1",
            parent=note.message_id,
            extra="",
            body="Thanks for the note.",
        )
        self.env["mail.thread"].message_process(None, message)
        self.assertFalse(self._responses())
        self.assertTrue(
            any(
                "Thanks for the note." in body
                for body in self.company_partner.message_ids.mapped("body")
            )
        )

    def test_reply_to_canceled_interaction(self):
        self.answered.action_cancel()
        self._reply(self.answered, "reply-1")
        self.assertFalse(self._responses())
