//! Which rules can apply to an event, by the only facts a rule's logsource and its event-id
//! prefilter look at: the event's channel, provider and event id.
//!
//! The candidate list of one (channel, provider, event id) key is exactly the rules whose
//! [`LogsourcePred`](super::LogsourcePred) and [`Rule::required_event_ids`] accept an event
//! with those facts, in rule order; it is built the first time the key is seen and kept in a
//! lock-protected cache (so a [`RuleSet`](super::RuleSet) stays `Clone + Send + Sync`). The
//! index covers every rule, enabled or not: `enabled` is read when evaluating, so toggling it
//! needs no rebuild. `RuleSet::rules` is a public `Vec` that callers may change directly;
//! the cache is dropped when the rules' buffer or length changes, when one of the first and
//! last rules or a candidate is not the rule it was built from (each compiled rule carries a
//! process-unique id), and by every `load_str`/`load_path`. Knows nothing about detections.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::Rule;
use crate::model::{Event, Sym};

/// Keys kept at most; past that the cache starts again (distinct channel/provider/id triples
/// are few in practice: one per kind of event in the logs).
const MAX_KEYS: usize = 4096;

/// A process-unique id for a newly compiled rule (clones keep it: they are the same rule).
pub(crate) fn next_rule_uid() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One rule that can apply: its position in `RuleSet::rules` and its id, to check that the
/// position still holds that rule.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate {
    pub(crate) index: u32,
    pub(crate) uid: u64,
}

/// The (channel, provider, event id) an event is indexed by.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    /// Channel id in the high half, provider id in the low half.
    names: u64,
    /// The event id, with bit 32 set when there is one.
    id: u64,
}

impl Key {
    fn of(event: &Event) -> Key {
        Key {
            names: u64::from(event.channel.id()) << 32 | u64::from(event.provider.id()),
            id: event.event_id.map_or(0, |id| 1 << 32 | u64::from(id)),
        }
    }

    fn channel(self) -> Sym {
        Sym::from_id((self.names >> 32) as u32)
    }

    fn provider(self) -> Sym {
        Sym::from_id(self.names as u32)
    }

    fn event_id(self) -> Option<u32> {
        (self.id >> 32 != 0).then_some(self.id as u32)
    }
}

/// Multiply-rotate hashing of the two words of a [`Key`] (small, trusted keys).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// What the cached lists were built from.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Stamp {
    ptr: usize,
    len: usize,
    first: u64,
    last: u64,
}

impl Stamp {
    fn of(rules: &[Rule]) -> Stamp {
        Stamp {
            ptr: rules.as_ptr() as usize,
            len: rules.len(),
            first: rules.first().map_or(0, |r| r.uid),
            last: rules.last().map_or(0, |r| r.uid),
        }
    }
}

#[derive(Default)]
struct State {
    stamp: Stamp,
    lists: HashMap<Key, Arc<[Candidate]>, BuildHasherDefault<KeyHasher>>,
}

/// The per-key candidate cache of a [`RuleSet`](super::RuleSet).
#[derive(Default)]
pub(crate) struct RuleIndex {
    state: RwLock<State>,
}

impl Clone for RuleIndex {
    /// A clone starts empty: its rules live in another buffer, so it rebuilds lazily.
    fn clone(&self) -> Self {
        RuleIndex::default()
    }
}

impl fmt::Debug for RuleIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.state.read().map_or(0, |state| state.lists.len());
        f.debug_struct("RuleIndex").field("keys", &keys).finish()
    }
}

/// True when `rule` can fire on an event with these facts, whatever its detection says.
fn can_apply(rule: &Rule, channel: Sym, provider: Sym, event_id: Option<u32>) -> bool {
    rule.compiled
        .logsource
        .matches_facts(channel, provider, event_id)
        && match &rule.compiled.event_ids {
            None => true,
            Some(ids) => event_id.is_some_and(|id| ids.contains(&id)),
        }
}

fn build(rules: &[Rule], key: Key) -> Arc<[Candidate]> {
    let (channel, provider, event_id) = (key.channel(), key.provider(), key.event_id());
    rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| can_apply(rule, channel, provider, event_id))
        .map(|(i, rule)| Candidate {
            index: i as u32,
            uid: rule.uid,
        })
        .collect()
}

impl RuleIndex {
    /// Forgets every list (the rules changed).
    pub(crate) fn clear(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        *state = State::default();
    }

    /// Forgets every list through a shared reference (a candidate was found stale).
    pub(crate) fn invalidate(&self) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        *state = State::default();
    }

    /// The rules of `rules` that can apply to `event`, in rule order.
    pub(crate) fn candidates(&self, rules: &[Rule], event: &Event) -> Arc<[Candidate]> {
        let key = Key::of(event);
        let stamp = Stamp::of(rules);
        {
            let state = self.state.read().unwrap_or_else(|e| e.into_inner());
            if state.stamp == stamp
                && let Some(list) = state.lists.get(&key)
            {
                return Arc::clone(list);
            }
        }
        let list = build(rules, key);
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if state.stamp != stamp || state.lists.len() >= MAX_KEYS {
            *state = State {
                stamp,
                lists: HashMap::default(),
            };
        }
        state.lists.insert(key, Arc::clone(&list));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let event = Event {
            channel: Sym::new("Security"),
            provider: Sym::new("Microsoft-Windows-Security-Auditing"),
            event_id: Some(0),
            ..Event::default()
        };
        let key = Key::of(&event);
        assert_eq!(key.channel(), event.channel);
        assert_eq!(key.provider(), event.provider);
        assert_eq!(key.event_id(), Some(0));
        let none = Key::of(&Event::default());
        assert_eq!(none.event_id(), None);
        assert!(none != key);
    }
}
