//! The JSON API under `/v1`. Request bodies are strict (unknown fields are refused),
//! responses are views built here, so the wire format does not follow internal types
//! by accident.

pub(crate) mod cases;
pub(crate) mod consent;
pub(crate) mod events;
pub(crate) mod firm;
pub(crate) mod messages;
pub(crate) mod views;

use serde::Deserialize;

/// `?limit=&offset=` or `?limit=&before=`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Page {
    pub(crate) limit: Option<u32>,
    pub(crate) offset: Option<u32>,
    pub(crate) before: Option<i64>,
    pub(crate) search: Option<String>,
}

impl Page {
    pub(crate) fn limit(&self) -> u32 {
        self.limit.unwrap_or(50).clamp(1, 200)
    }
}

/// A field that may be absent (leave it), `null` (clear it) or a value (set it).
pub(crate) fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
