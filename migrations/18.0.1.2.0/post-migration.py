# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""After the update:

- the consent log names its topics: rows written before keep the topic's code
  and description from now on, whatever happens to the topic;
- the statistics period of a campaign is each user's
  (crm.campaign.statistics.period), no longer one value of the campaign
  shared by all users: its columns go.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE crm_consent_log l
           SET topic_name = CONCAT_WS(
                   ' - ', g.code, COALESCE(g.name ->> 'en_US', g.name ->> 'nb_NO'))
          FROM crm_mailing_group g
         WHERE g.id = l.mailing_group_id AND l.topic_name IS NULL
        """
    )
    cr.execute(
        """
        ALTER TABLE utm_campaign
            DROP COLUMN IF EXISTS statistics_date_from,
            DROP COLUMN IF EXISTS statistics_date_to
        """
    )
