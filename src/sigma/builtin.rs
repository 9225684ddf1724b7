//! The built-in AppX rule pack, embedded at build time from `assets/rules/` so the program
//! works from any folder. Knows only the file names and texts; `RuleSet::builtin` compiles them.

/// (file name, YAML text) of every built-in rule file.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "appx_blocked_by_applocker.yml",
        include_str!("../../assets/rules/appx_blocked_by_applocker.yml"),
    ),
    (
        "appx_blocked_by_policy.yml",
        include_str!("../../assets/rules/appx_blocked_by_policy.yml"),
    ),
    (
        "appx_download_from_file_sharing.yml",
        include_str!("../../assets/rules/appx_download_from_file_sharing.yml"),
    ),
    (
        "appx_failed_signing_requirements.yml",
        include_str!("../../assets/rules/appx_failed_signing_requirements.yml"),
    ),
    (
        "appx_full_trust_install.yml",
        include_str!("../../assets/rules/appx_full_trust_install.yml"),
    ),
    (
        "appx_known_malicious_package.yml",
        include_str!("../../assets/rules/appx_known_malicious_package.yml"),
    ),
    (
        "appx_staging_directory.yml",
        include_str!("../../assets/rules/appx_staging_directory.yml"),
    ),
    (
        "appx_successful_install_hunting.yml",
        include_str!("../../assets/rules/appx_successful_install_hunting.yml"),
    ),
    (
        "appx_suspicious_signature.yml",
        include_str!("../../assets/rules/appx_suspicious_signature.yml"),
    ),
    (
        "appx_sysinternals_execution.yml",
        include_str!("../../assets/rules/appx_sysinternals_execution.yml"),
    ),
    (
        "appx_uncommon_location.yml",
        include_str!("../../assets/rules/appx_uncommon_location.yml"),
    ),
    (
        "appx_unsigned_install.yml",
        include_str!("../../assets/rules/appx_unsigned_install.yml"),
    ),
];
