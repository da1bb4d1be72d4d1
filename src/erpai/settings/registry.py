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
