//! Recent sequences' KV caches, kept per model so a request whose prompt starts with tokens seen
//! before (a shared system prompt, the conversation so far) prefills only the rest.
//!
//! Reuse is by exact token prefix: the cached keys and values of a prefix are what the model
//! computes for it whoever sent it, so nothing of another request's content can show beyond
//! what the new prompt already says. An entry is a copy of the cache it was taken from holding
//! exactly its tokens (a live cache grows in steps of 256 tokens, whose spare room would count
//! against the bound); a hit shares the entry's buffers until the request writes to them (MLX
//! arrays are values: the write copies).
//!
//! The entries are few (at most [`MAX_ENTRIES`]) and each lookup costs one comparison of token
//! ids per entry — nothing next to the prefill it saves — so they sit in a list rather than a
//! trie; the answer is the same: the longest common prefix with any entry.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::nn::KvCache;

/// Entries kept at most, whatever their size.
pub const MAX_ENTRIES: usize = 16;

/// Where in a prompt an entry ends, which decides how long it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    /// After the system prompt: shared by every conversation that uses it, so kept longest.
    System,
    /// After a conversation so far, or after a whole answer.
    Conversation,
}

struct Entry {
    tokens: Vec<u32>,
    cache: KvCache,
    kind: SegmentKind,
    bytes: u64,
    /// For least-recently-used eviction.
    used: u64,
}

/// One model's cache of prompt prefixes, bounded in bytes and entries.
pub struct PromptCache {
    entries: Vec<Entry>,
    limit_bytes: u64,
    clock: u64,
    /// The bytes held, for the pool to count in the model's memory from other threads.
    held: Arc<AtomicU64>,
}

/// A cache to continue from and how many of the prompt's tokens it already holds.
pub struct CacheHit {
    pub cache: KvCache,
    pub tokens: usize,
}

impl PromptCache {
    pub fn new(limit_bytes: u64) -> Self {
        Self {
            entries: Vec::new(),
            limit_bytes,
            clock: 0,
            held: Arc::default(),
        }
    }

    /// The bytes held, readable from any thread.
    pub fn held_bytes(&self) -> Arc<AtomicU64> {
        self.held.clone()
    }

    pub fn bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.bytes).sum()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Changes the bound; entries beyond it go at once.
    pub fn set_limit(&mut self, limit_bytes: u64) {
        self.limit_bytes = limit_bytes;
        self.shrink_to(limit_bytes);
    }

    pub fn limit_bytes(&self) -> u64 {
        self.limit_bytes
    }

    /// The longest cached prefix of `prompt`, leaving at least its last token to compute (its
    /// logits give the first new token). A longer entry that shares a prefix is trimmed back to
    /// it. `None` when nothing is shared.
    pub fn fetch(&mut self, prompt: &[u32]) -> Option<CacheHit> {
        let usable = prompt.len().saturating_sub(1);
        let (index, shared) = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, entry)| (i, common_prefix(&entry.tokens, prompt).min(usable)))
            .max_by_key(|&(i, shared)| (shared, self.entries[i].used))?;
        if shared == 0 {
            return None;
        }
        self.clock += 1;
        let entry = &mut self.entries[index];
        entry.used = self.clock;
        let mut cache = entry.cache.clone();
        cache.trim(shared as i32);
        Some(CacheHit {
            cache,
            tokens: shared,
        })
    }

    /// Keeps `cache` as the state after `tokens` (its first `tokens.len()` positions). Entries
    /// that are prefixes of it go (it serves them by trimming), except system prompts, which are
    /// kept for longer. Then the least recently used go until the bounds hold.
    pub fn insert(&mut self, tokens: Vec<u32>, cache: &KvCache, kind: SegmentKind) {
        if tokens.is_empty() || cache.offset() as usize != tokens.len() {
            return;
        }
        self.clock += 1;
        let used = self.clock;
        if let Some(entry) = self.entries.iter_mut().find(|e| e.tokens == tokens) {
            entry.used = used;
            if kind == SegmentKind::System {
                entry.kind = kind;
            }
            return;
        }
        self.entries.retain(|entry| {
            entry.kind == SegmentKind::System
                || entry.tokens.len() >= tokens.len()
                || !tokens.starts_with(&entry.tokens)
        });
        let Ok(cache) = cache.compacted() else {
            // Not kept: the request that offered it goes on regardless.
            return;
        };
        let bytes = cache.bytes();
        self.entries.push(Entry {
            tokens,
            cache,
            kind,
            bytes,
            used,
        });
        self.shrink_to(self.limit_bytes);
    }

    /// Evicts until at most `limit_bytes` (and [`MAX_ENTRIES`]) are held: conversations before
    /// system prompts, least recently used first.
    pub fn shrink_to(&mut self, limit_bytes: u64) {
        while self.entries.len() > MAX_ENTRIES
            || (!self.entries.is_empty() && self.bytes() > limit_bytes)
        {
            let victim = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| (e.kind == SegmentKind::System, e.used))
                .map(|(i, _)| i);
            if let Some(victim) = victim {
                self.entries.swap_remove(victim);
            }
        }
        self.held.store(self.bytes(), Ordering::Relaxed);
    }

    pub fn clear(&mut self) {
        self.shrink_to(0);
    }
}

/// The cache behind its lock. A panic while it was held leaves nothing half-written that
/// matters (at worst an entry is missing), so a poisoned lock is used as is.
pub(crate) fn lock(cache: &Mutex<PromptCache>) -> MutexGuard<'_, PromptCache> {
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}

fn common_prefix(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
#[path = "prompt_cache_tests.rs"]
mod tests;
