//! Field lists of the AppX events whose payload PowerShell exports without names
//! (`Get-WinEvent | ConvertTo-Json` writes `Properties` as a positional array).
//!
//! A tiny excerpt of `../shared/schema/appxdeployment-server.json` (`field_history`):
//! events 400, 401, 404 and 603 of Microsoft-Windows-AppXDeployment-Server, one list per
//! run of Windows builds (10 1511 … 11 26H1). Each event's lists have distinct lengths, so
//! the number of properties picks the build's list. Any other event, or a count no build
//! has, is not known here: the caller names the values `Property1…N`.

/// How the manifest types a field whose .NET value is a number but whose XML text is hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HexKind {
    /// win:HexInt32: .NET gives a signed Int32.
    Hex32,
    /// win:HexInt64: .NET gives a UInt64.
    Hex64,
}

/// The provider these lists belong to.
pub(super) const PROVIDER: &str = "Microsoft-Windows-AppXDeployment-Server";

/// The field names of `event_id` in the build whose list has `count` fields.
pub(super) fn field_names(
    provider: &str,
    event_id: u32,
    count: usize,
) -> Option<&'static [&'static str]> {
    if !provider.eq_ignore_ascii_case(PROVIDER) {
        return None;
    }
    let lists: &[&[&str]] = match event_id {
        400 => &[
            // 10_1511
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
            ],
            // 10_1607
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
            ],
            // 10_1703, 10_1709
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "MainPackageFamilyName",
                "CallingProcess",
            ],
            // 10_1803, 10_1809
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "IsPackageUsingBDC",
                "MainPackageFamilyName",
                "CallingProcess",
            ],
            // 10_1903, 10_1909
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "IsPackageUsingBDC",
                "MainPackageFamilyName",
                "CallingProcess",
                "IsOptional",
                "PackageFlags",
            ],
            // 10_2004, 10_2009
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "IsPackageUsingBDC",
                "MainPackageFamilyName",
                "CallingProcess",
                "IsOptional",
                "PackageFlags",
                "PackageFlags2",
                "HasWin32alacarte",
                "HasFullTrust",
                "ExternalLocation",
                "PackageSourceUri",
            ],
            // 11_21H2, 11_22H2, 11_23H2, 11_24H2, 11_25H2, 11_26H1
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "IsPackageUsingBDC",
                "MainPackageFamilyName",
                "CallingProcess",
                "IsOptional",
                "PackageFlags",
                "PackageFlags2",
                "HasWin32alacarte",
                "HasFullTrust",
                "ExternalLocation",
                "PackageSourceUri",
                "PackageDisplayName",
            ],
        ],
        401 => &[
            // 10_1511
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
            ],
            // 10_1607
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
            ],
            // 10_1703, 10_1709
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "MainPackageFamilyName",
                "CallingProcess",
            ],
            // 10_1803
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "IsPackageUsingBDC",
                "MainPackageFamilyName",
                "CallingProcess",
            ],
            // 10_1809
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "IsPackageUsingBDC",
                "MainPackageFamilyName",
                "CallingProcess",
                "IsInPlaceUpdate",
                "ErrorFileInfo",
                "DetailedMessageInfo",
            ],
            // 10_1903, 10_1909
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "IsPackageUsingBDC",
                "MainPackageFamilyName",
                "CallingProcess",
                "IsInPlaceUpdate",
                "ErrorFileInfo",
                "DetailedMessageInfo",
                "IsOptional",
                "PackageFlags",
            ],
            // 10_2004, 10_2009
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "IsPackageUsingBDC",
                "MainPackageFamilyName",
                "CallingProcess",
                "IsInPlaceUpdate",
                "ErrorFileInfo",
                "DetailedMessageInfo",
                "IsOptional",
                "PackageFlags",
                "PackageFlags2",
                "HasWin32alacarte",
                "HasFullTrust",
                "ExternalLocation",
                "PackageSourceUri",
            ],
            // 11_21H2, 11_22H2, 11_23H2, 11_24H2, 11_25H2, 11_26H1
            &[
                "DeploymentOperation",
                "PackageFullName",
                "Path",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
                "SystemVolume",
                "StorageId",
                "IsCentennial",
                "PackageType",
                "IsPackageEncrypted",
                "DeploymentOptions",
                "IsStreamingPackage",
                "IsInRelatedSet",
                "IsPackageUsingBDC",
                "MainPackageFamilyName",
                "CallingProcess",
                "IsInPlaceUpdate",
                "ErrorFileInfo",
                "DetailedMessageInfo",
                "RollbackErrorFileInfo",
                "RollbackDetailedMessageInfo",
                "IsOptional",
                "PackageFlags",
                "PackageFlags2",
                "HasWin32alacarte",
                "HasFullTrust",
                "ExternalLocation",
                "PackageSourceUri",
                "PackageDisplayName",
            ],
        ],
        404 => &[
            // 10_1511, 10_1607
            &[
                "SummaryError",
                "PackageFullName",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
            ],
            // 10_1703, 10_1709, 10_1803, 10_1809, 10_1903, 10_1909
            &[
                "SummaryError",
                "PackageFullName",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
                "CallingProcess",
            ],
            // 10_2004, 10_2009, 11_21H2, 11_22H2, 11_23H2, 11_24H2, 11_25H2, 11_26H1
            &[
                "SummaryError",
                "PackageFullName",
                "ErrorCode",
                "MountPoint",
                "TargetPlatform",
                "CallingProcess",
                "ExternalLocation",
            ],
        ],
        603 => &[
            // 10_1511, 10_1607
            &["DeploymentOperation", "Path", "Flags"],
            // 10_1703
            &["DeploymentOperation", "Path", "Flags", "CallingProcess"],
            // 10_1709, 10_1803, 10_1809, 10_1903, 10_1909
            &[
                "DeploymentOperation",
                "Path",
                "Flags",
                "FlagsHigh",
                "CallingProcess",
            ],
            // 10_2004, 10_2009, 11_21H2, 11_22H2, 11_23H2, 11_24H2, 11_25H2, 11_26H1
            &[
                "DeploymentOperation",
                "Path",
                "Flags",
                "FlagsHigh",
                "CallingProcess",
                "ExternalLocation",
            ],
        ],
        _ => return None,
    };
    lists.iter().copied().find(|names| names.len() == count)
}

/// The hex type of a field of these events, if it has one.
pub(super) fn hex_kind(name: &str) -> Option<HexKind> {
    match name {
        "TargetPlatform" | "PackageType" | "PackageFlags" | "PackageFlags2" | "ErrorCode"
        | "IsInPlaceUpdate" => Some(HexKind::Hex32),
        "DeploymentOptions" => Some(HexKind::Hex64),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_picked_by_length() {
        let w11 = field_names(PROVIDER, 400, 24).unwrap();
        assert_eq!(w11[23], "PackageDisplayName");
        let w1511 = field_names("microsoft-windows-appxdeployment-server", 400, 7).unwrap();
        assert_eq!(w1511[6], "StorageId");
        assert_eq!(field_names(PROVIDER, 401, 30).unwrap()[3], "ErrorCode");
        assert_eq!(field_names(PROVIDER, 400, 8), None);
        assert_eq!(field_names("Other", 400, 7), None);
        assert_eq!(field_names(PROVIDER, 402, 7), None);
    }
}
