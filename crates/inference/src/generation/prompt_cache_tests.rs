use mlx_rs::Array;
use mlx_rs::ops::indexing::IndexOp;

use super::*;

/// A one-layer cache holding `tokens`, each position's keys and values filled with its token id.
fn cache_of(tokens: &[u32]) -> KvCache {
    let mut cache = KvCache::new(1);
    let values: Vec<f32> = tokens.iter().flat_map(|&t| [t as f32; 2]).collect();
    let kv = Array::from_slice(&values, &[1, 1, tokens.len() as i32, 2]);
    cache.layers[0]
        .update_and_fetch(kv.clone(), kv)
        .expect("cache update");
    cache
}

/// The key values the cache holds at its valid positions (one per token).
fn keys_of(cache: &KvCache) -> Vec<f32> {
    let keys = cache.layers[0].state().next().expect("keys");
    // Adding 0 makes a contiguous copy of the strided view.
    let valid = keys
        .index((.., .., ..cache.offset(), 0))
        .add(Array::from_f32(0.0))
        .unwrap();
    valid.as_slice::<f32>().to_vec()
}

#[test]
fn a_prompt_reuses_its_longest_cached_prefix_and_always_computes_its_last_token() {
    let mut cache = PromptCache::new(u64::MAX);
    cache.insert(
        vec![1, 2, 3, 4],
        &cache_of(&[1, 2, 3, 4]),
        SegmentKind::Conversation,
    );
    cache.insert(vec![1, 2], &cache_of(&[1, 2]), SegmentKind::System);
    let hit = |cache: &mut PromptCache, prompt: &[u32]| cache.fetch(prompt).map(|h| h.tokens);
    assert_eq!(hit(&mut cache, &[1, 2, 3, 4, 5]), Some(4));
    // The whole prompt is cached: its last token is computed again for its logits.
    assert_eq!(hit(&mut cache, &[1, 2, 3, 4]), Some(3));
    // A longer entry is trimmed back to what is shared.
    assert_eq!(hit(&mut cache, &[1, 2, 3, 9, 9]), Some(3));
    assert_eq!(hit(&mut cache, &[1, 7]), Some(1));
    assert_eq!(hit(&mut cache, &[5, 1, 2]), None);
    assert_eq!(hit(&mut cache, &[1]), None, "nothing left to compute");
}

#[test]
fn a_trimmed_hit_holds_exactly_the_shared_tokens_and_writing_to_it_leaves_the_entry_intact() {
    let mut cache = PromptCache::new(u64::MAX);
    cache.insert(
        vec![1, 2, 3, 4],
        &cache_of(&[1, 2, 3, 4]),
        SegmentKind::Conversation,
    );
    let mut hit = cache.fetch(&[1, 2, 8, 8]).expect("hit");
    assert_eq!(keys_of(&hit.cache), [1.0, 2.0]);
    let next = Array::from_slice(&[8.0f32, 8.0], &[1, 1, 1, 2]);
    hit.cache.layers[0]
        .update_and_fetch(next.clone(), next)
        .unwrap();
    assert_eq!(keys_of(&hit.cache), [1.0, 2.0, 8.0]);
    let again = cache.fetch(&[1, 2, 3, 4, 5]).expect("hit");
    assert_eq!(keys_of(&again.cache), [1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn inserting_drops_the_conversation_prefixes_it_covers_but_keeps_system_prompts() {
    let mut cache = PromptCache::new(u64::MAX);
    cache.insert(vec![1, 2], &cache_of(&[1, 2]), SegmentKind::System);
    cache.insert(
        vec![1, 2, 3],
        &cache_of(&[1, 2, 3]),
        SegmentKind::Conversation,
    );
    cache.insert(
        vec![1, 2, 3, 4],
        &cache_of(&[1, 2, 3, 4]),
        SegmentKind::Conversation,
    );
    assert_eq!(cache.len(), 2);
    cache.insert(
        vec![1, 2, 3, 4],
        &cache_of(&[1, 2, 3, 4]),
        SegmentKind::Conversation,
    );
    assert_eq!(cache.len(), 2, "the same tokens are one entry");
}

#[test]
fn over_its_byte_limit_it_evicts_conversations_least_recently_used_first_then_system_prompts() {
    let entry_bytes = cache_of(&[1]).compacted().unwrap().bytes();
    let mut cache = PromptCache::new(3 * entry_bytes);
    cache.insert(vec![1], &cache_of(&[1]), SegmentKind::System);
    cache.insert(vec![2], &cache_of(&[2]), SegmentKind::Conversation);
    cache.insert(vec![3], &cache_of(&[3]), SegmentKind::Conversation);
    assert!(cache.fetch(&[2, 0]).is_some(), "touches 2");
    cache.insert(vec![4], &cache_of(&[4]), SegmentKind::Conversation);
    assert_eq!(cache.len(), 3);
    assert!(
        cache.fetch(&[3, 0]).is_none(),
        "3 was the least recently used"
    );
    assert!(cache.fetch(&[1, 0]).is_some() && cache.fetch(&[2, 0]).is_some());
    assert_eq!(cache.held_bytes().load(Ordering::Relaxed), 3 * entry_bytes);

    cache.set_limit(entry_bytes);
    assert_eq!(cache.len(), 1);
    assert!(
        cache.fetch(&[1, 0]).is_some(),
        "the system prompt stays longest"
    );
    cache.clear();
    assert!(cache.is_empty());
    assert_eq!(cache.held_bytes().load(Ordering::Relaxed), 0);
}

#[test]
fn it_keeps_at_most_a_fixed_number_of_entries() {
    let mut cache = PromptCache::new(u64::MAX);
    for token in 0..(MAX_ENTRIES as u32 + 5) {
        cache.insert(
            vec![100 + token],
            &cache_of(&[token]),
            SegmentKind::Conversation,
        );
    }
    assert_eq!(cache.len(), MAX_ENTRIES);
    assert!(cache.fetch(&[100, 0]).is_none(), "the oldest went");
}

#[test]
fn a_cache_that_does_not_hold_exactly_the_tokens_is_not_kept() {
    let mut cache = PromptCache::new(u64::MAX);
    cache.insert(vec![1, 2, 3], &cache_of(&[1, 2]), SegmentKind::Conversation);
    assert!(cache.is_empty());
}

#[test]
fn an_entry_holds_exactly_its_tokens_not_the_live_caches_spare_room() {
    let live = cache_of(&[1, 2, 3]);
    let mut cache = PromptCache::new(u64::MAX);
    cache.insert(vec![1, 2, 3], &live, SegmentKind::Conversation);
    // Three tokens of keys and values (2 floats each) in one layer, not a 256-token buffer.
    assert_eq!(cache.bytes(), 2 * 3 * 2 * 4);
    assert!(live.bytes() > cache.bytes());
    let hit = cache.fetch(&[1, 2, 3, 4]).expect("hit");
    assert_eq!(keys_of(&hit.cache), [1.0, 2.0, 3.0]);
}
