//! Notification settings: per user, per type and channel, whether it is on.
//!
//! Defaults: every channel a type allows (`NotificationType::channels`) is on;
//! mandatory (security) types cannot be turned off. Only what differs from the
//! defaults is stored: one attribute `<type>.<channel>: false` per channel
//! turned off, in the item `keys::notification_settings(user)`. A change is then
//! one `Update` (set or remove attributes), atomic without a read first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Channel, NotificationType};
use crate::{
    Deps,
    error::{Error, FieldError, Result},
    keys,
    table::{Item, Update},
};

/// A user's stored settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    item: Option<Item>,
}

impl Settings {
    /// Whether `kind` reaches its user on `channel`.
    pub fn enabled(&self, kind: NotificationType, channel: Channel) -> bool {
        if !kind.channels().contains(&channel) {
            return false;
        }
        if kind.is_mandatory() {
            return true;
        }
        let turned_off = self
            .item
            .as_ref()
            .and_then(|item| item.get(&attribute(kind, channel)))
            .is_some_and(|value| value == false);
        !turned_off
    }

    /// The channels `kind` reaches its user on, in `Channel::ALL` order.
    pub fn enabled_channels(&self, kind: NotificationType) -> Vec<Channel> {
        Channel::ALL
            .into_iter()
            .filter(|&channel| self.enabled(kind, channel))
            .collect()
    }
}

/// The stored attribute of one type and channel.
fn attribute(kind: NotificationType, channel: Channel) -> String {
    format!("{}.{}", kind.name(), channel.name())
}

/// One user's settings, defaults where nothing is stored.
pub async fn read(deps: &Deps, user_id: &str) -> Result<Settings> {
    let item = deps
        .table
        .get(&keys::notification_settings(user_id))
        .await?;
    Ok(Settings { item })
}

/// One channel of one type as the API shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ChannelSetting {
    pub enabled: bool,
    /// False for mandatory types, which always reach their user.
    pub can_change: bool,
}

/// Every type with each of its allowed channels (`GET /v1/me/notification-settings`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettingsView {
    pub types: BTreeMap<&'static str, BTreeMap<&'static str, ChannelSetting>>,
}

impl Settings {
    pub fn view(&self) -> SettingsView {
        let types = NotificationType::ALL
            .into_iter()
            .map(|kind| {
                let channels = kind
                    .channels()
                    .iter()
                    .map(|&channel| {
                        let setting = ChannelSetting {
                            enabled: self.enabled(kind, channel),
                            can_change: !kind.is_mandatory(),
                        };
                        (channel.name(), setting)
                    })
                    .collect();
                (kind.name(), channels)
            })
            .collect();
        SettingsView { types }
    }
}

/// A partial change: `{"types": {"<type>": {"<channel>": bool}}}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SettingsChange {
    pub types: BTreeMap<String, BTreeMap<String, bool>>,
}

pub async fn get(deps: &Deps, user_id: &str) -> Result<SettingsView> {
    Ok(read(deps, user_id).await?.view())
}

/// Applies a partial change and answers the full view. Every invalid entry is
/// reported (an unknown type or channel, a channel the type does not use, a
/// mandatory type turned off) and then nothing changes.
pub async fn change(deps: &Deps, user_id: &str, change: SettingsChange) -> Result<SettingsView> {
    let mut update = Update::new();
    let mut errors = Vec::new();
    for (type_name, channels) in &change.types {
        let Some(kind) = NotificationType::from_name(type_name) else {
            errors.push(FieldError::new(
                "types",
                format!("`{type_name}` is not a notification type"),
            ));
            continue;
        };
        for (channel_name, &enabled) in channels {
            let channel = Channel::from_name(channel_name)
                .filter(|channel| kind.channels().contains(channel));
            match channel {
                None => errors.push(FieldError::new(
                    "types",
                    format!("`{type_name}` has no channel `{channel_name}`"),
                )),
                Some(_) if kind.is_mandatory() && !enabled => errors.push(FieldError::new(
                    "types",
                    format!("`{type_name}` is a security notification and cannot be turned off"),
                )),
                // A mandatory type stays on whatever is stored; store nothing for it.
                Some(_) if kind.is_mandatory() => {}
                Some(channel) if enabled => update = update.remove(&attribute(kind, channel)),
                Some(channel) => update = update.set(&attribute(kind, channel), false),
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    if update == Update::new() {
        return get(deps, user_id).await;
    }
    let item = deps
        .table
        .update(&keys::notification_settings(user_id), &update, None)
        .await?;
    Ok(Settings { item: Some(item) }.view())
}
