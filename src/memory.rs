//! Memory: the budget loads keep to ([`Budget`], counted with the store's own measure of what
//! it holds, so it works on every platform), parsing and printing sizes, and what the machine
//! and process have (the RAM that sets the default budget, the resident size `appxview bench`
//! reports), read from `/proc` on Linux and unknown (`None`) elsewhere.

use std::path::PathBuf;

use crate::model::{Source, Warning};

/// Resident memory of this process in bytes (Linux: `VmRSS` in `/proc/self/status`, which is
/// in KiB whatever the page size).
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    kib_line(&status, "VmRSS:")
}

/// Total RAM of the machine in bytes (Linux: `MemTotal` in `/proc/meminfo`).
pub fn total_ram_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    meminfo_total(&meminfo)
}

fn meminfo_total(meminfo: &str) -> Option<u64> {
    kib_line(meminfo, "MemTotal:")
}

/// The `Name:   123 kB` line of a `/proc` file, in bytes.
fn kib_line(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The default memory budget: half of the machine's RAM, or 8 GiB if unknown.
pub fn default_budget_bytes() -> u64 {
    total_ram_bytes().map_or(8 << 30, |total| total / 2)
}

/// How much the loaded events may take: the limit, and what is already taken. Counted with
/// the store's own measure ([`crate::store::Store::footprint`]: packed events and derived
/// facts), which is known exactly and ahead of storing, so a load stops before it passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub limit: u64,
    pub used: u64,
}

impl Budget {
    /// A budget of `limit` bytes of which `used` are taken.
    pub fn new(limit: u64, used: u64) -> Budget {
        Budget { limit, used }
    }

    /// Takes `bytes` if they fit; false (and nothing taken) if they would pass the limit.
    pub fn admit(&mut self, bytes: u64) -> bool {
        match self.used.checked_add(bytes) {
            Some(total) if total <= self.limit => {
                self.used = total;
                true
            }
            _ => false,
        }
    }

    /// Bytes still free.
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    /// What to tell the investigator when the budget stopped a load.
    pub fn stopped_message(&self, events_kept: u64) -> String {
        format!(
            "memory budget reached ({} of {} for loaded events): stopped after {events_kept} events of this file; the rest of it and any files after it were not read. Raise it with --max-memory (e.g. --max-memory 16G) or open fewer files.",
            format_size(self.used),
            format_size(self.limit)
        )
    }

    /// Records on `source` that the budget stopped it after `events_kept` events.
    pub fn mark_stopped(&self, source: &mut Source, events_kept: u64) {
        source.records = events_kept;
        source.warnings.push(Warning {
            path: source.path.clone(),
            location: format!("after {events_kept} events"),
            message: self.stopped_message(events_kept),
        });
    }
}

/// A file the budget kept from being read at all (an earlier file used it up).
pub fn not_read_source(path: PathBuf) -> Source {
    let mut source = Source::new(path);
    source.error = Some("not read: the memory budget was reached by an earlier file".to_owned());
    source
}

/// Parses a size such as `512M`, `2G`, `1.5GiB`, `300000000` (bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a size (e.g. 512M, 2G)"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => return Err(format!("unknown size unit \"{other}\" in \"{text}\"")),
    };
    let bytes = number * scale as f64;
    if !(1.0..1.8e19).contains(&bytes) {
        return Err(format!(
            "\"{text}\" is not a usable size (more than 0 bytes and less than 16 EiB)"
        ));
    }
    Ok(bytes as u64)
}

/// A size for people: `1.5 GiB`, `300 MiB`.
pub fn format_size(bytes: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    const MIB: f64 = (1u64 << 20) as f64;
    let b = bytes as f64;
    if b >= GIB {
        format!("{:.1} GiB", b / GIB)
    } else if b >= MIB {
        format!("{:.0} MiB", b / MIB)
    } else if b >= 1024.0 {
        format!("{:.0} KiB", b / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("300000"), Ok(300_000));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5X").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("999999999999T").is_err());
    }

    #[test]
    fn a_budget_admits_until_the_limit() {
        let mut budget = Budget::new(100, 10);
        assert!(budget.admit(90));
        assert!(!budget.admit(1));
        assert_eq!(budget.used, 100);
        assert!(!Budget::new(u64::MAX, u64::MAX).admit(1));
        assert!(budget.stopped_message(7).contains("after 7 events"));
    }

    #[test]
    fn meminfo_total_is_read_in_kib() {
        let text = "MemTotal:       24576000 kB\nMemFree:  1 kB\n";
        assert_eq!(meminfo_total(text), Some(24_576_000 * 1024));
        assert_eq!(meminfo_total("nothing"), None);
    }

    #[test]
    fn this_process_has_resident_memory_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(resident_bytes().is_some_and(|b| b > 1 << 20));
        }
    }
}
