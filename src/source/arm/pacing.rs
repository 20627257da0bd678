//! Read pacing per subscription. ARM throttles reads per subscription (a bucket of about 250,
//! refilled at about 25 a second) and says what is left in
//! `x-ms-ratelimit-remaining-subscription-reads`. A request waits, before it takes a slot,
//! while its subscription's bucket is nearly empty or a 429 asked that subscription to wait:
//! the others go on, so one hot subscription does not stall an audit of many.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// ARM's refill rate and bucket size for reads, per subscription.
const REFILL_PER_SECOND: f64 = 25.0;
const BUCKET: f64 = 250.0;
/// Reads kept in hand: below this a request waits for the bucket to refill.
const RESERVE: f64 = 10.0;

#[derive(Default)]
pub struct Pacing {
    subscriptions: Mutex<HashMap<String, Budget>>,
}

struct Budget {
    /// Reads left as last reported, less those sent since, and when that was.
    remaining: Option<f64>,
    at: Instant,
    /// Reads sent and not answered: a reported budget does not count them yet.
    in_flight: u32,
    /// A 429 asked the subscription to wait until then.
    blocked_until: Option<Instant>,
}

impl Pacing {
    /// How long a read of `subscription` waits before it is sent; counts it as sent (each
    /// is followed by [`Pacing::answered`]).
    pub fn before_send(&self, subscription: &str) -> Duration {
        let mut subs = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let b = budget(&mut subs, subscription);
        b.in_flight += 1;
        let blocked = b
            .blocked_until
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        let Some(reported) = b.remaining else {
            return blocked;
        };
        let refilled =
            (reported + REFILL_PER_SECOND * now.duration_since(b.at).as_secs_f64()).min(BUCKET);
        b.remaining = Some(refilled - 1.0);
        b.at = now;
        let refill = if refilled < RESERVE {
            Duration::from_secs_f64((RESERVE - refilled) / REFILL_PER_SECOND)
        } else {
            Duration::ZERO
        };
        blocked.max(refill)
    }

    /// A read of the subscription was answered, reporting what is left, if it did.
    pub fn answered(&self, subscription: &str, remaining: Option<u64>) {
        let mut subs = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        let b = budget(&mut subs, subscription);
        b.in_flight = b.in_flight.saturating_sub(1);
        if let Some(left) = remaining {
            b.remaining = Some(left as f64 - f64::from(b.in_flight));
            b.at = Instant::now();
        }
    }

    /// A 429 for the subscription: every read of it waits `retry_after`.
    pub fn throttled(&self, subscription: &str, retry_after: Duration) {
        let mut subs = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + retry_after;
        let b = budget(&mut subs, subscription);
        b.blocked_until = Some(b.blocked_until.map_or(until, |u| u.max(until)));
    }
}

fn budget<'a>(subs: &'a mut HashMap<String, Budget>, subscription: &str) -> &'a mut Budget {
    subs.entry(subscription.to_ascii_lowercase())
        .or_insert_with(|| Budget {
            remaining: None,
            at: Instant::now(),
            in_flight: 0,
            blocked_until: None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_subscription_is_not_held() {
        assert_eq!(
            Pacing::default().before_send("/subscriptions/a"),
            Duration::ZERO
        );
    }

    #[test]
    fn a_nearly_empty_bucket_waits_for_its_refill_and_only_its_own_subscription() {
        let p = Pacing::default();
        for (sub, left) in [("/subscriptions/hot", 2), ("/subscriptions/cool", 200)] {
            let _ = p.before_send(sub);
            p.answered(sub, Some(left));
        }
        let wait = p.before_send("/subscriptions/HOT");
        // 8 reads short of the reserve at 25 a second: about 320 ms.
        assert!(
            wait > Duration::from_millis(250) && wait <= Duration::from_millis(320),
            "{wait:?}"
        );
        assert!(
            p.before_send("/subscriptions/hot") > wait,
            "the next one waits longer"
        );
        assert_eq!(p.before_send("/subscriptions/cool"), Duration::ZERO);
    }

    #[test]
    fn reads_in_flight_count_against_a_reported_budget() {
        let p = Pacing::default();
        for _ in 0..5 {
            let _ = p.before_send("/subscriptions/s");
        }
        // Answered with 12 left while four more are on their way: 8 are really left.
        p.answered("/subscriptions/s", Some(12));
        assert!(p.before_send("/subscriptions/s") > Duration::ZERO);
    }

    #[test]
    fn a_429_holds_the_subscription_for_its_retry_after() {
        let p = Pacing::default();
        p.throttled("/subscriptions/hot", Duration::from_secs(2));
        let wait = p.before_send("/subscriptions/hot");
        assert!(wait > Duration::from_millis(1900), "{wait:?}");
        p.throttled("/subscriptions/hot", Duration::from_millis(10));
        assert!(
            p.before_send("/subscriptions/hot") > Duration::from_millis(1900),
            "never shortened"
        );
        assert_eq!(p.before_send("/subscriptions/other"), Duration::ZERO);
    }
}
