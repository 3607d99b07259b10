//! [`RateLimit`] and [`RateLimiter`]: a request budget per connection, and respect for
//! the rate-limit headers of the tool.

use reqwest::header::HeaderMap;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The rate limits of a connection: request budgets (at most `n` requests in any window
/// of the given length) and whether the tool's rate-limit headers are obeyed.
///
/// Headers: when a response says `X-RateLimit-Remaining: 0` (also `RateLimit-Remaining`,
/// `X-Rate-Limit-Remaining`), every request of the client waits until the time given by
/// `X-RateLimit-Reset` (a Unix time, or a number of seconds), at most
/// [`RateLimit::max_header_wait`].
///
/// ```
/// use devlake::api::RateLimit;
/// use std::time::Duration;
/// let limit = RateLimit::default().per_second(10).per_hour(5000);
/// let tight = RateLimit::default().budget(3, Duration::from_millis(500));
/// let ignore_headers = RateLimit::default().respect_headers(false);
/// # let _ = (limit, tight, ignore_headers);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimit {
    budgets: Vec<(u32, Duration)>,
    respect_headers: bool,
    max_header_wait: Duration,
}

impl Default for RateLimit {
    /// No budget; headers obeyed, waiting at most one hour.
    fn default() -> Self {
        RateLimit {
            budgets: Vec::new(),
            respect_headers: true,
            max_header_wait: Duration::from_secs(3600),
        }
    }
}

impl RateLimit {
    /// At most `requests` requests in any window of `window` (a `requests` of 0 is
    /// ignored). Budgets add up: every one of them is respected.
    pub fn budget(mut self, requests: u32, window: Duration) -> Self {
        if requests > 0 && !window.is_zero() {
            self.budgets.push((requests, window));
        }
        self
    }

    /// At most `requests` requests per second.
    pub fn per_second(self, requests: u32) -> Self {
        self.budget(requests, Duration::from_secs(1))
    }

    /// At most `requests` requests per minute.
    pub fn per_minute(self, requests: u32) -> Self {
        self.budget(requests, Duration::from_secs(60))
    }

    /// At most `requests` requests per hour.
    pub fn per_hour(self, requests: u32) -> Self {
        self.budget(requests, Duration::from_secs(3600))
    }

    /// Whether `X-RateLimit-Remaining: 0` makes the client wait for the reset.
    pub fn respect_headers(mut self, respect: bool) -> Self {
        self.respect_headers = respect;
        self
    }

    /// The longest wait imposed by the rate-limit headers.
    pub fn max_header_wait(mut self, max: Duration) -> Self {
        self.max_header_wait = max;
        self
    }
}

/// What a [`RateLimiter`] did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitStats {
    /// Requests let through.
    pub requests: u64,
    /// Requests that had to wait (for a budget or a pause).
    pub waits: u64,
    /// Pauses imposed by rate-limit headers or `Retry-After`.
    pub pauses: u64,
    /// The total time requests waited.
    pub waited: Duration,
}

/// Applies a [`RateLimit`]: [`acquire`](RateLimiter::acquire) waits until a request may
/// be sent; [`observe`](RateLimiter::observe) reads the rate-limit headers of a
/// response. Requests are let through in the order they asked. An
/// [`ApiClient`](super::ApiClient) has one, shared by its clones.
#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimit,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// For each budget, the times of the requests let through in the last window.
    logs: Vec<VecDeque<Instant>>,
    /// The time of the last request let through (requests go in order).
    last: Option<Instant>,
    /// No request before this time.
    paused_until: Option<Instant>,
    stats: RateLimitStats,
}

impl RateLimiter {
    /// A limiter applying `config`.
    pub fn new(config: RateLimit) -> Self {
        let logs = config.budgets.iter().map(|_| VecDeque::new()).collect();
        RateLimiter {
            config,
            state: Mutex::new(State {
                logs,
                last: None,
                paused_until: None,
                stats: RateLimitStats::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a request may be sent, and counts it. Returns how long it waited.
    pub async fn acquire(&self) -> Duration {
        let (at, now) = self.reserve();
        if at > now {
            tokio::time::sleep_until(at).await;
        }
        at.saturating_duration_since(now)
    }

    /// Books the earliest slot every budget and pause allows; returns it and the time now.
    fn reserve(&self) -> (Instant, Instant) {
        let now = Instant::now();
        let mut state = self.lock();
        let state = &mut *state;
        let mut at = now;
        if let Some(last) = state.last {
            at = at.max(last);
        }
        if let Some(paused) = state.paused_until {
            at = at.max(paused);
        }
        for ((requests, window), log) in self.config.budgets.iter().zip(state.logs.iter_mut()) {
            // Times older than a window before now no longer count.
            while log.front().is_some_and(|t| *t + *window <= now) {
                log.pop_front();
            }
            let n = *requests as usize;
            if log.len() >= n {
                // The request n places back must be a full window old.
                at = at.max(log[log.len() - n] + *window);
            }
        }
        for ((requests, _), log) in self.config.budgets.iter().zip(state.logs.iter_mut()) {
            log.push_back(at);
            while log.len() > *requests as usize {
                log.pop_front();
            }
        }
        state.last = Some(at);
        state.stats.requests += 1;
        if at > now {
            state.stats.waits += 1;
            state.stats.waited += at - now;
        }
        (at, now)
    }

    /// Holds every request back for `wait` from now (a `Retry-After`).
    pub fn pause_for(&self, wait: Duration) {
        if wait.is_zero() {
            return;
        }
        let until = Instant::now() + wait;
        let mut state = self.lock();
        state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        state.stats.pauses += 1;
    }

    /// Reads the rate-limit headers of a response. When they say no request is left, holds
    /// every request back until the reset (at most [`RateLimit::max_header_wait`]) and
    /// returns that wait.
    pub fn observe(&self, headers: &HeaderMap) -> Option<Duration> {
        if !self.config.respect_headers {
            return None;
        }
        let wait = exhausted_wait(headers, SystemTime::now())?;
        let wait = wait.min(self.config.max_header_wait);
        tracing::debug!(
            wait_ms = wait.as_millis() as u64,
            "API rate limit exhausted; pausing"
        );
        self.pause_for(wait);
        Some(wait)
    }

    /// What the limiter did so far.
    pub fn stats(&self) -> RateLimitStats {
        self.lock().stats
    }
}

fn header_f64(headers: &HeaderMap, names: &[&str]) -> Option<f64> {
    names
        .iter()
        .find_map(|n| headers.get(*n)?.to_str().ok()?.trim().parse::<f64>().ok())
}

/// When the headers say no request is left: how long until the reset (at least one
/// second, and one minute when no reset is given).
pub(crate) fn exhausted_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let remaining = header_f64(
        headers,
        &[
            "x-ratelimit-remaining",
            "ratelimit-remaining",
            "x-rate-limit-remaining",
        ],
    )?;
    if remaining > 0.0 {
        return None;
    }
    let reset = header_f64(
        headers,
        &["x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset"],
    );
    let wait = match reset {
        Some(r) if r.is_finite() && r >= 1e9 => {
            // A Unix time (GitHub, GitLab).
            let now_s = now
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            Duration::from_secs_f64((r - now_s).clamp(0.0, 1e9))
        }
        // A number of seconds (the IETF draft headers).
        Some(r) if r.is_finite() => Duration::from_secs_f64(r.clamp(0.0, 1e9)),
        _ => Duration::from_secs(60),
    };
    Some(wait.max(Duration::from_secs(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn reads_rate_limit_headers() {
        let now = SystemTime::now();
        let epoch = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(
            exhausted_wait(&headers(&[("x-ratelimit-remaining", "3")]), now),
            None
        );
        assert_eq!(exhausted_wait(&headers(&[]), now), None);
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &(epoch + 100).to_string()),
        ]);
        let w = exhausted_wait(&h, now).unwrap();
        assert!(
            w > Duration::from_secs(98) && w <= Duration::from_secs(100),
            "{w:?}"
        );
        let h = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "30")]);
        assert_eq!(exhausted_wait(&h, now), Some(Duration::from_secs(30)));
        let h = headers(&[("x-ratelimit-remaining", "0")]);
        assert_eq!(exhausted_wait(&h, now), Some(Duration::from_secs(60)));
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1000000000"),
        ]);
        assert_eq!(exhausted_wait(&h, now), Some(Duration::from_secs(1)));
    }
}
