use std::net::{Ipv4Addr, Ipv6Addr};

use super::*;

const WINDOW: Duration = Duration::from_secs(15 * 60);

/// A clock that only moves when told to.
#[derive(Clone)]
struct FakeClock(Arc<Mutex<Instant>>);

impl FakeClock {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
    fn throttle(&self, settings: ThrottleSettings) -> LoginThrottle {
        let clock = self.clone();
        LoginThrottle::with_clock(settings, move || *clock.0.lock().unwrap())
    }
}

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(203, 0, 113, last))
}

fn fail(throttle: &LoginThrottle, email: &str, from: IpAddr, times: usize) {
    for _ in 0..times {
        throttle.record_failure(email, from);
    }
}

const OK: Result<Duration, Duration> = Ok(Duration::ZERO);

#[test]
fn default_settings_are_5_per_account_and_ip_20_per_ip_and_a_delay_after_5_over_15_minutes() {
    let settings = ThrottleSettings::default();
    assert_eq!(
        (
            settings.per_email_and_ip_failures,
            settings.per_ip_failures,
            settings.per_email_failures_before_delay
        ),
        (5, 20, 5)
    );
    assert_eq!(settings.window, WINDOW);
    assert!(settings.max_delay <= Duration::from_secs(5), "bounded");
}

#[test]
fn four_failures_still_allow_a_fifth_attempt_without_delay() {
    let throttle = FakeClock::new().throttle(ThrottleSettings::default());
    fail(&throttle, "jane@example.com", ip(1), 4);
    assert_eq!(throttle.check("jane@example.com", ip(1)), OK);
}

#[test]
fn sixth_attempt_from_the_same_address_is_refused_before_the_password_is_checked() {
    let throttle = FakeClock::new().throttle(ThrottleSettings::default());
    fail(&throttle, "jane@example.com", ip(1), 5);
    assert!(throttle.check("jane@example.com", ip(1)).is_err());
}

#[test]
fn a_storm_from_one_address_does_not_lock_the_owner_out_elsewhere() {
    let throttle = FakeClock::new().throttle(ThrottleSettings::default());
    fail(&throttle, "jane@example.com", ip(66), 5);
    assert!(throttle.check("jane@example.com", ip(66)).is_err());
    let owner = throttle.check("jane@example.com", ip(1));
    assert_eq!(
        owner,
        Ok(Duration::from_millis(250)),
        "only a short delay elsewhere"
    );
    // The refused storm goes on: it is not counted, so the owner's delay does not grow.
    for _ in 0..100 {
        assert!(throttle.check("jane@example.com", ip(66)).is_err());
    }
    assert_eq!(owner, throttle.check("jane@example.com", ip(1)));
}

#[test]
fn failures_from_many_addresses_delay_every_attempt_more_and_more_but_bounded() {
    let throttle = FakeClock::new().throttle(ThrottleSettings::default());
    let mut delays = Vec::new();
    for n in 0..12 {
        delays.push(throttle.check("jane@example.com", ip(200)).unwrap());
        throttle.record_failure("jane@example.com", ip(n));
    }
    let ms: Vec<u128> = delays.iter().map(Duration::as_millis).collect();
    assert_eq!(
        ms,
        [0, 0, 0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, 4000],
        "never a refusal, doubling up to the bound"
    );
    assert_eq!(
        throttle.check("other@example.com", ip(200)),
        OK,
        "other accounts are not slowed"
    );
}

#[test]
fn the_delay_wears_off_with_the_window() {
    let clock = FakeClock::new();
    let throttle = clock.throttle(ThrottleSettings::default());
    for n in 0..8 {
        throttle.record_failure("jane@example.com", ip(n));
    }
    assert!(throttle.check("jane@example.com", ip(200)).unwrap() > Duration::ZERO);
    clock.advance(WINDOW);
    assert_eq!(throttle.check("jane@example.com", ip(200)), OK);
}

#[test]
fn email_matching_ignores_case_and_surrounding_spaces() {
    let throttle = FakeClock::new().throttle(ThrottleSettings::default());
    fail(&throttle, " Jane@Example.COM", ip(1), 5);
    assert!(throttle.check("jane@example.com", ip(1)).is_err());
}

#[test]
fn success_resets_the_delay_and_this_clients_count_for_the_account() {
    let throttle = FakeClock::new().throttle(ThrottleSettings::default());
    for n in 0..6 {
        throttle.record_failure("jane@example.com", ip(n));
    }
    fail(&throttle, "jane@example.com", ip(1), 3);
    throttle.record_success("jane@example.com", ip(1));
    fail(&throttle, "jane@example.com", ip(1), 4);
    assert_eq!(throttle.check("jane@example.com", ip(1)), OK);
}

#[test]
fn the_owner_signing_in_does_not_unlock_an_attacker() {
    let throttle = FakeClock::new().throttle(ThrottleSettings::default());
    fail(&throttle, "jane@example.com", ip(66), 5);
    throttle.record_success("jane@example.com", ip(1));
    assert!(throttle.check("jane@example.com", ip(66)).is_err());
}

#[test]
fn success_does_not_reset_the_ip_counter() {
    let settings = ThrottleSettings {
        per_ip_failures: 3,
        ..ThrottleSettings::default()
    };
    let throttle = FakeClock::new().throttle(settings);
    for n in 0..3 {
        throttle.record_failure(&format!("victim{n}@example.com"), ip(9));
    }
    throttle.record_success("own-account@example.com", ip(9));
    assert!(throttle.check("victim4@example.com", ip(9)).is_err());
}

#[test]
fn failures_older_than_the_window_no_longer_count() {
    let clock = FakeClock::new();
    let throttle = clock.throttle(ThrottleSettings::default());
    fail(&throttle, "jane@example.com", ip(1), 5);
    clock.advance(WINDOW);
    assert_eq!(throttle.check("jane@example.com", ip(1)), OK);
}

#[test]
fn throttle_lifts_exactly_when_the_oldest_counted_failure_expires() {
    let clock = FakeClock::new();
    let throttle = clock.throttle(ThrottleSettings::default());
    throttle.record_failure("jane@example.com", ip(1));
    clock.advance(Duration::from_secs(60));
    fail(&throttle, "jane@example.com", ip(1), 4);
    assert_eq!(
        throttle.check("jane@example.com", ip(1)),
        Err(WINDOW - Duration::from_secs(60))
    );
    clock.advance(WINDOW - Duration::from_secs(61));
    assert_eq!(
        throttle.check("jane@example.com", ip(1)),
        Err(Duration::from_secs(1))
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(throttle.check("jane@example.com", ip(1)), OK);
}

#[test]
fn retry_after_is_positive_whole_seconds_and_at_most_the_window() {
    let clock = FakeClock::new();
    let throttle = clock.throttle(ThrottleSettings::default());
    fail(&throttle, "jane@example.com", ip(1), 5);
    let wait = throttle.check("jane@example.com", ip(1)).unwrap_err();
    assert_eq!(wait, WINDOW);
    clock.advance(WINDOW - Duration::from_millis(300));
    let wait = throttle.check("jane@example.com", ip(1)).unwrap_err();
    assert_eq!(wait, Duration::from_secs(1), "rounded up, never zero");
}

#[test]
fn failures_beyond_the_limit_do_not_extend_the_lockout_past_the_window() {
    let clock = FakeClock::new();
    let throttle = clock.throttle(ThrottleSettings::default());
    fail(&throttle, "jane@example.com", ip(1), 5);
    clock.advance(Duration::from_secs(600));
    // More failures keep it locked, but the wait is measured from the 5 newest ones.
    fail(&throttle, "jane@example.com", ip(1), 5);
    assert_eq!(throttle.check("jane@example.com", ip(1)), Err(WINDOW));
}

#[test]
fn spraying_one_password_over_many_emails_is_throttled_per_ip() {
    let throttle = FakeClock::new().throttle(ThrottleSettings::default());
    for n in 0..20 {
        let email = format!("user{n}@example.com");
        assert_eq!(throttle.check(&email, ip(66)), OK, "attempt {n}");
        throttle.record_failure(&email, ip(66));
    }
    assert!(throttle.check("fresh@example.com", ip(66)).is_err());
    assert_eq!(throttle.check("fresh@example.com", ip(67)), OK);
}

#[test]
fn ipv6_clients_are_counted_per_64_prefix() {
    let settings = ThrottleSettings {
        per_ip_failures: 3,
        ..ThrottleSettings::default()
    };
    let throttle = FakeClock::new().throttle(settings);
    for host in 1..=3u16 {
        let addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, host);
        throttle.record_failure(&format!("u{host}@example.com"), addr.into());
    }
    let same_64 = Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0xffff, 1, 2, 3);
    let other_64 = Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1);
    assert!(throttle.check("x@example.com", same_64.into()).is_err());
    assert_eq!(throttle.check("x@example.com", other_64.into()), OK);
}

#[test]
fn ipv4_mapped_ipv6_counts_as_the_ipv4_address() {
    let settings = ThrottleSettings {
        per_ip_failures: 2,
        ..ThrottleSettings::default()
    };
    let throttle = FakeClock::new().throttle(settings);
    let v4 = Ipv4Addr::new(198, 51, 100, 7);
    throttle.record_failure("a@example.com", IpAddr::V4(v4));
    throttle.record_failure("b@example.com", IpAddr::V6(v4.to_ipv6_mapped()));
    assert!(throttle.check("c@example.com", IpAddr::V4(v4)).is_err());
}

#[test]
fn zero_limit_switches_that_counter_off() {
    let settings = ThrottleSettings {
        per_email_and_ip_failures: 0,
        per_ip_failures: 0,
        per_email_failures_before_delay: 0,
        ..ThrottleSettings::default()
    };
    let throttle = FakeClock::new().throttle(settings);
    fail(&throttle, "jane@example.com", ip(1), 50);
    assert_eq!(throttle.check("jane@example.com", ip(1)), OK);
    let state = throttle.lock();
    assert!(state.emails.is_empty() && state.pairs.is_empty() && state.nets.is_empty());
}

#[test]
fn expired_entries_are_swept_from_memory() {
    let clock = FakeClock::new();
    let throttle = clock.throttle(ThrottleSettings::default());
    for n in 0..100 {
        throttle.record_failure(&format!("user{n}@example.com"), ip(n));
    }
    clock.advance(WINDOW);
    throttle.record_failure("late@example.com", ip(250));
    let state = throttle.lock();
    assert_eq!(
        (state.pairs.len(), state.emails.len(), state.nets.len()),
        (1, 1, 1)
    );
}

#[test]
fn tracked_keys_are_capped_by_dropping_the_stalest() {
    let clock = FakeClock::new();
    let guard = clock.clone();
    let throttle = LoginThrottle::build(
        ThrottleSettings::default(),
        Arc::new(move || *guard.0.lock().unwrap()),
        10,
    );
    fail(&throttle, "first@example.com", ip(1), 5);
    for n in 0..30 {
        clock.advance(Duration::from_secs(1));
        throttle.record_failure(&format!("spray{n}@example.com"), ip(2));
    }
    assert_eq!(throttle.lock().emails.len(), 10);
    assert_eq!(
        throttle.check("first@example.com", ip(3)),
        OK,
        "the stalest entry was evicted to make room"
    );
    assert!(throttle.check("spray29@example.com", ip(3)).is_ok());
}

#[test]
fn clones_share_counters() {
    let throttle = FakeClock::new().throttle(ThrottleSettings::default());
    let clone = throttle.clone();
    fail(&clone, "jane@example.com", ip(1), 5);
    assert!(throttle.check("jane@example.com", ip(1)).is_err());
}

#[test]
fn concurrent_failures_from_threads_are_all_counted() {
    let settings = ThrottleSettings {
        per_ip_failures: 1000,
        ..ThrottleSettings::default()
    };
    let throttle = LoginThrottle::new(settings);
    std::thread::scope(|s| {
        for t in 0..4 {
            let throttle = throttle.clone();
            s.spawn(move || {
                for n in 0..250 {
                    throttle.record_failure(&format!("t{t}-{n}@example.com"), ip(5));
                }
            });
        }
    });
    assert!(throttle.check("new@example.com", ip(5)).is_err());
}

#[test]
fn debug_output_shows_settings_only() {
    let throttle = LoginThrottle::new(ThrottleSettings::default());
    throttle.record_failure("secret-user@example.com", ip(1));
    let shown = format!("{throttle:?}");
    assert!(shown.contains("per_ip_failures") && !shown.contains("secret-user"));
}

#[test]
fn address_rate_limit_allows_the_limit_per_window_then_says_when() {
    let clock = FakeClock::new();
    let now = clock.clone();
    let limit =
        AddressRateLimit::with_clock(3, Duration::from_secs(600), move || *now.0.lock().unwrap());
    for _ in 0..3 {
        assert_eq!(limit.acquire(ip(1)), Ok(()));
        clock.advance(Duration::from_secs(10));
    }
    assert_eq!(limit.acquire(ip(1)), Err(Duration::from_secs(570)));
    assert_eq!(limit.acquire(ip(2)), Ok(()), "per address");
    clock.advance(Duration::from_secs(570));
    assert_eq!(limit.acquire(ip(1)), Ok(()), "the oldest place came free");
}

#[test]
fn address_rate_limit_release_gives_the_place_back() {
    let limit = AddressRateLimit::new(1, Duration::from_secs(600));
    assert_eq!(limit.acquire(ip(1)), Ok(()));
    limit.release(ip(1));
    assert_eq!(limit.acquire(ip(1)), Ok(()));
    assert!(limit.acquire(ip(1)).is_err());
}

#[test]
fn address_rate_limit_counts_ipv6_per_64() {
    let limit = AddressRateLimit::new(1, Duration::from_secs(600));
    let a = Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, 1);
    let b = Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9);
    assert_eq!(limit.acquire(a.into()), Ok(()));
    assert!(limit.acquire(b.into()).is_err());
}

#[test]
fn address_rate_limit_of_zero_is_off() {
    let limit = AddressRateLimit::new(0, Duration::from_secs(600));
    for _ in 0..100 {
        assert_eq!(limit.acquire(ip(1)), Ok(()));
    }
}
