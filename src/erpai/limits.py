"""Input limits: the longest text each field accepts and the largest integers the database stores.

One place for every bound, so the API schemas, the file imports and the CLI agree; docs/limits.md lists
them by entity. A limit keeps one request from filling memory or the database, not a business rule.
"""

from __future__ import annotations

# Every id and counter column is INTEGER: 32-bit on PostgreSQL (SQLite's is 64-bit, so this is the bound).
MAX_INT = 2**31 - 1

NAME_MAX = 256  # model, provider, chat group, assistant conversation names and titles
LOGIN_MAX = 64
PERSON_NAME_MAX = 254
EMAIL_MAX = 254
TOKEN_NAME_MAX = 128
EXTERNAL_ID_MAX = 256
NOTES_MAX = 10_000  # the free "notes" field of every entity
SYSTEM_MESSAGE_MAX = 32_000
FALLBACK_ANSWER_MAX = 4_000
QUESTION_MAX = 8_000  # a Q&A question and a question asked of a model
ANSWER_MAX = 20_000  # a Q&A answer
SECTION_MAX = 128
MESSAGE_MAX = 20_000  # a training message, a chat comment, a context message of an ask
PARTICIPANT_NAME_MAX = 64
MESSAGES_PER_REQUEST_MAX = 1_000  # training messages in one create / import line
CONTEXT_MESSAGES_MAX = 200  # earlier messages sent with one ask
IDS_PER_REQUEST_MAX = 1_000  # member ids of a new group, comment ids of a Train AI selection
SEARCH_MAX = 256  # a list filter matched as a substring (name, q, section, kind, entity)
API_KEY_MAX = 4_096
SETTING_KEY_MAX = 128  # a system setting key, e.g. ai.chat.context_depth
FEEDBACK_REASON_MAX = 2_000  # the optional reason given with a thumbs up / down
