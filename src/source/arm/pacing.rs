//! Read pacing per subscription. ARM throttles reads per subscription with a token bucket
//! (about 250 reads, refilled at about 25 a second) and says what is left in
//! `x-ms-ratelimit-remaining-subscription-reads`. Each read of a subscription is given a send
//! time from a model of that bucket: while it holds more than a small reserve, at once; once it
//! is nearly empty, one read per refill interval, each at its own time, so that waiting reads
//! go out spread at the refill rate rather than waking together. Every answer's reported budget
//! corrects the model; a 429 empties it and holds the subscription for its `Retry-After`.
//! Subscriptions are paced apart: a hot one delays only its own reads.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// ARM's documented refill rate and bucket size for reads, per subscription.
const REFILL_PER_SECOND: f64 = 25.0;
const BUCKET: f64 = 250.0;
/// Reads kept in hand: below this a read waits for the bucket to refill.
const RESERVE: f64 = 10.0;

#[derive(Default)]
pub struct Pacing {
    subscriptions: Mutex<HashMap<String, Budget>>,
}

struct Budget {
    /// Reads left in the bucket at `at` as the model has it (negative: promised to reads
    /// that wait), or unknown until ARM first reports it.
    tokens: Option<f64>,
    /// The time the model is at: now, or the send time of the last read it scheduled.
    at: Instant,
    /// Reads scheduled or sent and not answered: a reported budget does not count them yet.
    in_flight: u32,
    /// A 429 asked the subscription to wait until then.
    blocked_until: Option<Instant>,
}

impl Budget {
    fn new(now: Instant) -> Budget {
        Budget {
            tokens: None,
            at: now,
            in_flight: 0,
            blocked_until: None,
        }
    }

    /// The tokens the model holds at `t`, not before `self.at`.
    fn level_at(&self, tokens: f64, t: Instant) -> f64 {
        let elapsed = t.saturating_duration_since(self.at).as_secs_f64();
        (tokens + REFILL_PER_SECOND * elapsed).min(BUCKET)
    }
}

impl Pacing {
    /// How long a read of `subscription` waits before it is sent; counts it as scheduled
    /// (each is followed by [`Pacing::answered`]).
    pub fn before_send(&self, subscription: &str) -> Duration {
        let now = Instant::now();
        self.send_time(subscription, now)
            .saturating_duration_since(now)
    }

    /// When a read of `subscription` asked for at `now` may be sent.
    fn send_time(&self, subscription: &str, now: Instant) -> Instant {
        let mut subs = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        let b = budget(&mut subs, subscription, now);
        b.in_flight += 1;
        let earliest = b
            .blocked_until
            .map_or(now, |until| until.max(now))
            .max(b.at);
        let Some(tokens) = b.tokens else {
            return earliest;
        };
        let level = b.level_at(tokens, earliest);
        let send_at = if level >= RESERVE + 1.0 {
            earliest
        } else {
            earliest + Duration::from_secs_f64((RESERVE + 1.0 - level) / REFILL_PER_SECOND)
        };
        b.tokens = Some(b.level_at(tokens, send_at) - 1.0);
        b.at = send_at;
        send_at
    }

    /// A read of the subscription was answered, reporting what is left, if it did.
    pub fn answered(&self, subscription: &str, remaining: Option<u64>) {
        let mut subs = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let b = budget(&mut subs, subscription, now);
        b.in_flight = b.in_flight.saturating_sub(1);
        // Reads scheduled for later are promised tokens the report does not count yet; the
        // report is taken only where the model is at the present.
        if let Some(left) = remaining
            && b.at <= now
        {
            b.tokens = Some(left as f64 - f64::from(b.in_flight));
            b.at = now;
        }
    }

    /// A 429 for the subscription: the bucket is empty, and every read of it waits at least
    /// `retry_after`. The refill rate stays ARM's documented one: a lesson from 429s answered
    /// together (16 at once) slowed a hot subscription to a crawl; the reported budget of the
    /// next answers corrects the model instead.
    pub fn throttled(&self, subscription: &str, retry_after: Duration) {
        let mut subs = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let b = budget(&mut subs, subscription, now);
        let until = now + retry_after;
        b.blocked_until = Some(b.blocked_until.map_or(until, |u| u.max(until)));
        // Reads already scheduled keep their times (and are answered 429 again if early);
        // reads scheduled from now on queue behind them.
        b.tokens = Some(-f64::from(b.in_flight));
        b.at = now;
    }
}

fn budget<'a>(
    subs: &'a mut HashMap<String, Budget>,
    subscription: &str,
    now: Instant,
) -> &'a mut Budget {
    subs.entry(subscription.to_ascii_lowercase())
        .or_insert_with(|| Budget::new(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(p: &Pacing, sub: &str, left: u64) {
        let _ = p.before_send(sub);
        p.answered(sub, Some(left));
    }

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
        reported(&p, "/subscriptions/hot", 2);
        reported(&p, "/subscriptions/cool", 200);
        let wait = p.before_send("/subscriptions/HOT");
        // 9 reads short of the reserve at 25 a second: about 360 ms.
        assert!(
            wait > Duration::from_millis(300) && wait <= Duration::from_millis(360),
            "{wait:?}"
        );
        assert_eq!(p.before_send("/subscriptions/cool"), Duration::ZERO);
    }

    #[test]
    fn waiting_reads_are_spread_at_the_refill_rate_however_long_the_queue() {
        let p = Pacing::default();
        reported(&p, "/subscriptions/hot", 0);
        let now = Instant::now();
        let times: Vec<Instant> = (0..5_000)
            .map(|_| p.send_time("/subscriptions/hot", now))
            .collect();
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_micros(39_900) && gap <= Duration::from_micros(40_100),
                "reads wake one refill interval apart, not together: {gap:?}"
            );
        }
        // The 5,000th read waits its turn, about 200 s, with no cap that would wake it early.
        let last = times[4_999] - now;
        assert!(last > Duration::from_secs(199), "{last:?}");
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
