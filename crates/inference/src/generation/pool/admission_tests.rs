use std::time::{Duration, Instant};

use super::*;
use crate::InferenceError;

fn resident(id: &str, bytes: u64, age_secs: u64, hold: Option<HoldReason>) -> Resident {
    Resident {
        id: id.into(),
        bytes,
        last_used: Instant::now() - Duration::from_secs(age_secs),
        hold,
    }
}

#[test]
fn a_model_that_fits_evicts_nothing() {
    let residents = [resident("a", 40, 10, None)];
    assert_eq!(
        plan_admission("b", 60, 100, 4, &residents).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn the_least_recently_used_idle_model_is_evicted_first() {
    let residents = [resident("new", 50, 1, None), resident("old", 50, 100, None)];
    assert_eq!(
        plan_admission("c", 50, 100, 4, &residents).unwrap(),
        ["old"]
    );
}

#[test]
fn one_model_that_alone_makes_room_is_preferred_over_several_small_ones() {
    let residents = [
        resident("small1", 10, 300, None),
        resident("small2", 10, 200, None),
        resident("big", 60, 100, None),
    ];
    assert_eq!(
        plan_admission("x", 80, 100, 8, &residents).unwrap(),
        ["big"]
    );
}

#[test]
fn when_several_are_needed_one_that_turns_out_unnecessary_is_spared() {
    let residents = [
        resident("a", 10, 300, None),
        resident("b", 30, 200, None),
        resident("c", 40, 100, None),
        resident("d", 20, 50, None),
    ];
    // 60 short and no model frees it alone: a, b, c in LRU order free 80, and without a 70.
    let victims = plan_admission("x", 60, 100, 8, &residents).unwrap();
    assert_eq!(victims, ["b", "c"]);
}

#[test]
fn pinned_busy_and_loading_models_are_never_evicted_and_the_refusal_says_who_holds_memory() {
    let residents = [
        resident("pinned", 30, 300, Some(HoldReason::Pinned)),
        resident("busy", 30, 200, Some(HoldReason::Busy)),
        resident("loading", 30, 100, Some(HoldReason::Loading)),
    ];
    let error = plan_admission("x", 50, 100, 8, &residents).unwrap_err();
    let InferenceError::InsufficientMemory {
        need_bytes,
        free_bytes,
        held_by,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!((*need_bytes, *free_bytes), (50, 10));
    assert_eq!(held_by.len(), 3);
    let text = error.to_string();
    assert!(text.contains("busy (30 bytes, Busy)"), "{text}");
    assert!(text.contains("needs 50 bytes but only 10"), "{text}");
}

#[test]
fn a_model_larger_than_the_whole_limit_is_refused_without_evicting() {
    let residents = [resident("a", 10, 10, None)];
    assert!(matches!(
        plan_admission("x", 101, 100, 4, &residents),
        Err(InferenceError::InsufficientMemory { .. })
    ));
}

#[test]
fn the_model_count_limit_evicts_the_least_recently_used_idle_one() {
    let residents = [resident("a", 1, 10, None), resident("b", 1, 20, None)];
    assert_eq!(plan_admission("c", 1, 100, 2, &residents).unwrap(), ["b"]);
    let busy = [
        resident("a", 1, 10, Some(HoldReason::Busy)),
        resident("b", 1, 20, Some(HoldReason::Pinned)),
    ];
    assert!(matches!(
        plan_admission("c", 1, 100, 2, &busy),
        Err(InferenceError::TooManyModels { .. })
    ));
}

#[test]
fn keep_alive_follows_ollama_negative_is_forever_zero_is_at_once() {
    assert_eq!(KeepAlive::from_secs(-1), KeepAlive::Forever);
    assert_eq!(KeepAlive::from_secs(0), KeepAlive::For(Duration::ZERO));
    assert_eq!(
        KeepAlive::from_secs(5),
        KeepAlive::For(Duration::from_secs(5))
    );
}
