"""The known system settings: key, type, default, bounds, description. Add new settings here."""

from __future__ import annotations

from dataclasses import dataclass

from erpai.settings.schemas import SettingType, SettingValue


@dataclass(frozen=True)
class SettingSpec:
    key: str
    type: SettingType
    default: SettingValue
    description: str
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None


KNOWN_SETTINGS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec(
            key="auth.token_expiry_days",
            type="int",
            default=0,
            minimum=0,
            maximum=3650,
            description="Days a new API token stays valid when its creator does not say; 0 = never expires. "
            "When set, it is also the longest a non-admin may ask for.",
        ),
        SettingSpec(
            key="auth.max_failed_logins_per_minute",
            type="int",
            default=10,
            minimum=1,
            maximum=10_000,
            description="Failed authentications one client address may make per minute before it gets 429 "
            "(counted per server process).",
        ),
        SettingSpec(
            key="web.bell_refresh_seconds",
            type="int",
            default=30,
            minimum=1,
            maximum=3600,
            description="How often an open web page refreshes the notifications bell's unread count.",
        ),
        SettingSpec(
            key="chat.stream_max_seconds",
            type="int",
            default=900,
            minimum=1,
            maximum=86_400,
            description="A chat event stream is closed after this many seconds with a 'reconnect' event; "
            "the client resumes from the last event id.",
        ),
        SettingSpec(
            key="ai.chat.context_depth",
            type="int",
            default=100,
            minimum=1,
            maximum=1000,
            description="How many earlier comments of a chat group an arbiter sees when it answers.",
        ),
        SettingSpec(
            key="ai.assistant.additional_instructions",
            type="str",
            default="",
            max_length=8000,
            description="Additional instructions the assistant follows on record pages, unless a user sets "
            "their own.",
        ),
        SettingSpec(
            key="ai.assistant.additional_navigator_instructions",
            type="str",
            default="",
            max_length=8000,
            description="Additional instructions the assistant follows on navigator (list) pages, unless a "
            "user sets their own.",
        ),
        SettingSpec(
            key="ai.assistant.history_token_budget",
            type="int",
            default=3000,
            minimum=50,
            maximum=200_000,
            description="Tokens of earlier conversation turns an assistant reply may include; older turns "
            "are dropped with a note in the prompt.",
        ),
        SettingSpec(
            key="ai.assistant.page_data_token_budget",
            type="int",
            default=4000,
            minimum=50,
            maximum=200_000,
            description="Tokens of page data given to the assistant; a longer list of objects is truncated "
            "with a note saying how many were left out.",
        ),
        SettingSpec(
            key="ai.assistant.page_data_max_bytes",
            type="int",
            default=1_000_000,
            minimum=1000,
            maximum=50_000_000,
            description="The largest page-data document accepted (larger: 413).",
        ),
        SettingSpec(
            key="ai.assistant.max_tool_rounds",
            type="int",
            default=4,
            minimum=1,
            maximum=20,
            description="How many rounds of tool calls one assistant reply may make.",
        ),
        SettingSpec(
            key="ingest.enterprise_company_id",
            type="int",
            default=0,
            minimum=0,
            maximum=2**31 - 1,
            description="The enterprise company ingested purchase invoices are for: an invoice whose "
            "recipient is another company is refused. 0 = the only enterprise company, when there is "
            "exactly one.",
        ),
        SettingSpec(
            key="ingest.default_service_product_id",
            type="int",
            default=0,
            minimum=0,
            maximum=2**31 - 1,
            description="The product (id) of the single line of an ingested purchase invoice when the "
            "supplier's latest invoice of the past year does not have exactly one line to copy; 0 = none "
            "(such an import is refused until it is set).",
        ),
        SettingSpec(
            key="records.active_languages",
            type="str",
            default="en",
            max_length=200,
            description="Comma-separated language codes of multilanguage record fields (product names); "
            "the first is the one rules read.",
        ),
        SettingSpec(
            key="rules.cache_ttl_seconds",
            type="int",
            default=600,
            minimum=0,
            maximum=86_400,
            description="An identical rule prompt to the same model within this many seconds is answered "
            "from the cache (0 = no cache).",
        ),
    )
}

# Additional instructions of the assistant, by form kind (record page, navigator page).
ASSISTANT_INSTRUCTION_SETTINGS: dict[str, str] = {
    "record": "ai.assistant.additional_instructions",
    "navigator": "ai.assistant.additional_navigator_instructions",
}
