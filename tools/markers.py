# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The marker the addon's engine puts in the context of its own changes.

A context key holding a string or a boolean is a permission anyone can take:
RPC clients, imports and automated actions send any JSON value they like in
the context.  The marker is a module object instead, which no client can
send, so a rule lifted for the engine stays in force for everyone else.
"""

ENGINE = object()
ENGINE_KEY = "crm_campaign_segment_engine"


def as_engine(records):
    """``records`` in an environment marked as the engine's."""
    return records.with_context(**{ENGINE_KEY: ENGINE})


def is_engine(env):
    """Whether ``env`` was marked by :func:`as_engine` (never by a client)."""
    return env.context.get(ENGINE_KEY) is ENGINE
