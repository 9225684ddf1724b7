//! What makes an event an AppX deployment event: its provider (or, failing that, its
//! channel), never its event id alone. Pure functions over the model.

use crate::model::Event;

/// The providers whose events appxview shows by default.
pub const APPX_PROVIDERS: [&str; 5] = [
    "Microsoft-Windows-AppXDeployment-Server",
    "Microsoft-Windows-AppXDeployment",
    "Microsoft-Windows-AppxPackagingOM",
    "Microsoft-Windows-AppModel-Runtime",
    "Microsoft-Windows-AppXDeployment-Server-UndockedDeh",
];

/// Channel prefixes of those providers' logs (used when an export carries no provider).
const APPX_CHANNEL_PREFIXES: [&str; 4] = [
    "Microsoft-Windows-AppXDeploymentServer/",
    "Microsoft-Windows-AppXDeployment/",
    "Microsoft-Windows-AppxPackaging/",
    "Microsoft-Windows-AppModel-Runtime/",
];

/// True when `provider` is one of the AppX providers (ASCII case-insensitive).
pub fn is_appx_provider(provider: &str) -> bool {
    APPX_PROVIDERS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(provider.trim()))
}

/// True for AppX events: by provider, or by channel when the provider is unknown.
pub fn is_appx(event: &Event) -> bool {
    if !event.provider.is_empty() {
        return is_appx_provider(event.provider.as_str());
    }
    let channel = event.channel.as_str();
    APPX_CHANNEL_PREFIXES.iter().any(|prefix| {
        channel
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    })
}
