//! [`RetryPolicy`]: which failures are retried, how often, and how long to wait.

use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::{Duration, SystemTime};

/// How the client retries: connection errors, timeouts and 5xx responses are retried
/// with exponential backoff and jitter, for idempotent requests only (a POST or PATCH is
/// retried only when refused before it reached the server, or on a 429, unless declared
/// with [`Request::idempotent`](super::Request::idempotent)); 429 and 503 responses wait for their
/// `Retry-After` (seconds or an HTTP date), capped by [`max_retry_after`]. Every retry
/// counts against [`max_retries`]; other 4xx responses are never retried.
///
/// ```
/// use devlake::api::RetryPolicy;
/// use std::time::Duration;
/// let policy = RetryPolicy::default()
///     .max_retries(5)
///     .backoff(Duration::from_millis(200), Duration::from_secs(10))
///     .max_retry_after(Duration::from_secs(60));
/// assert_eq!(policy.max_retries, 5);
/// ```
///
/// [`max_retry_after`]: RetryPolicy::max_retry_after
/// [`max_retries`]: RetryPolicy::max_retries
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// How many times a failed request is sent again (0: never). Default 3.
    pub max_retries: u32,
    /// The wait before the first retry; it doubles for each further retry. Default 1 s.
    pub initial_backoff: Duration,
    /// The longest backoff wait. Default 30 s.
    pub max_backoff: Duration,
    /// The longest wait a `Retry-After` header (or a rate-limit reset) may impose on one
    /// retry. Default 120 s.
    pub max_retry_after: Duration,
    /// Whether backoff waits are randomised (between half and all of the wait), so that
    /// concurrent requests do not retry in step. Default true.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Sets how many times a failed request is sent again.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the first backoff wait and the longest one.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Sets the longest wait imposed by a `Retry-After` header.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Turns jitter on or off.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The wait before retry number `retry` (1 for the first retry).
    pub fn backoff_for(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let wait = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        if self.jitter && !wait.is_zero() {
            use rand::Rng;
            let half = wait / 2;
            let extra =
                rand::thread_rng().gen_range(0..=half.as_micros().min(u64::MAX as u128) as u64);
            half + Duration::from_micros(extra)
        } else {
            wait
        }
    }

    /// The wait a `Retry-After` header asks for, capped by [`RetryPolicy::max_retry_after`].
    pub fn retry_after(&self, headers: &HeaderMap) -> Option<Duration> {
        parse_retry_after(headers, SystemTime::now()).map(|d| d.min(self.max_retry_after))
    }
}

/// The wait a `Retry-After` header asks for: a number of seconds or an HTTP date
/// (a date in the past means no wait).
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite()).then(|| Duration::from_secs_f64(seconds.clamp(0.0, 1e9)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        let now = SystemTime::now();
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&date).unwrap());
        let d = parse_retry_after(&h, now).unwrap();
        assert!(
            d <= Duration::from_secs(30) && d >= Duration::from_secs(28),
            "{d:?}"
        );
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h, now), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("100000"));
        let p = RetryPolicy::default().max_retry_after(Duration::from_secs(5));
        assert_eq!(p.retry_after(&h), Some(Duration::from_secs(5)));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default()
            .jitter(false)
            .backoff(Duration::from_millis(100), Duration::from_millis(350));
        assert_eq!(p.backoff_for(1), Duration::from_millis(100));
        assert_eq!(p.backoff_for(2), Duration::from_millis(200));
        assert_eq!(p.backoff_for(3), Duration::from_millis(350));
        assert_eq!(p.backoff_for(40), Duration::from_millis(350));
        let j = p.jitter(true);
        for _ in 0..20 {
            let d = j.backoff_for(2);
            assert!(d >= Duration::from_millis(100) && d <= Duration::from_millis(200));
        }
    }
}
