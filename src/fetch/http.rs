//! One HTTP attempt at a time: the client (rustls, timeouts, User-Agent,
//! proxies from the environment), a GET whose outcome is sorted into
//! success, a failure worth retrying and a failure that is final, a bounded
//! body reader, and the backoff between attempts.
//!
//! It does not loop over retries or mirrors nor touch the cache: the remote
//! source does.

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The User-Agent sent with every request.
pub const USER_AGENT: &str = concat!("rpmatrix/", env!("CARGO_PKG_VERSION"));

/// The longest Retry-After honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Why one attempt failed.
#[derive(Clone, Debug)]
pub enum Failure {
    /// Worth trying again (connection error, timeout, 5xx, 429, truncated body).
    Transient {
        /// What happened.
        message: String,
        /// The server's Retry-After, capped.
        retry_after: Option<Duration>,
        /// How long the attempt stalled before it was given up (no answer,
        /// or too little data), which counts against the file's time budget.
        stalled: Option<Duration>,
    },
    /// Trying again here will not help (404, wrong checksum, too large...).
    Permanent {
        /// What happened.
        message: String,
        /// The server said the file does not exist.
        not_found: bool,
    },
}

impl Failure {
    /// A final failure.
    pub fn permanent(message: impl Into<String>) -> Failure {
        Failure::Permanent {
            message: message.into(),
            not_found: false,
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        match self {
            Failure::Transient { message, .. } | Failure::Permanent { message, .. } => message,
        }
    }
}

/// Builds the client: connect and read timeouts, User-Agent, redirects followed
/// (up to 10), HTTP(S)_PROXY/NO_PROXY from the environment, rustls.
pub(crate) fn client(timeout: Duration) -> Result<Client, String> {
    // Said here, with the URL: reqwest's own refusal names neither.
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        let scheme = attempt.url().scheme();
        if scheme != "http" && scheme != "https" {
            let to = attempt.url().to_string();
            attempt.error(format!(
                "redirected to {to:?}, which is not an http(s) URL rpmatrix can follow"
            ))
        } else if attempt.previous().len() >= 10 {
            attempt.error("more than 10 redirects")
        } else {
            attempt.follow()
        }
    });
    Client::builder()
        .user_agent(USER_AGENT)
        .redirect(redirects)
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {}", chain(&e)))
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cur = c.source();
    }
    s
}

/// Sends a GET. Statuses 2xx and 304 are returned; the others become failures.
pub fn get(client: &Client, url: &str, headers: HeaderMap) -> Result<Response, Failure> {
    let began = Instant::now();
    let resp = client.get(url).headers(headers).send().map_err(|e| {
        // The URL is already in the message around this one.
        let text = chain(&e).replace(&format!(" for url ({url})"), "");
        if e.is_redirect() || e.is_builder() {
            // A redirect loop, or to a URL that cannot be fetched: the same
            // answer comes again.
            return Failure::permanent(text);
        }
        Failure::Transient {
            stalled: e.is_timeout().then(|| began.elapsed()),
            message: if e.is_timeout() {
                format!("timed out ({text})")
            } else {
                text
            },
            retry_after: None,
        }
    })?;
    let status = resp.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        return Ok(resp);
    }
    if status.is_redirection() {
        // Redirects to http(s) were followed; this one points elsewhere
        // (`file://`, `ftp://`) or nowhere, and will keep doing so.
        let to = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| "no Location".to_owned(), |l| format!("to {l:?}"));
        return Err(Failure::permanent(format!(
            "HTTP {status}: a redirect {to}, which is not an http(s) URL rpmatrix can follow"
        )));
    }
    let message = format!("HTTP {status}");
    if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT || status.is_server_error() {
        return Err(Failure::Transient {
            message,
            retry_after: retry_after(resp.headers()),
            stalled: None,
        });
    }
    Err(Failure::Permanent {
        message,
        not_found: status == StatusCode::NOT_FOUND || status == StatusCode::GONE,
    })
}

/// Retry-After as seconds or an HTTP date, capped at [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
        let now = jiff::Timestamp::now();
        Duration::try_from(when.duration_since(now)).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Data arriving slower than this many bytes per `allow` (see [`read_body`])
/// is a stall: a server dripping a byte now and then never lets a read time
/// out, and must not hold the run.
pub const PROGRESS_BYTES: u64 = 64 << 10;

/// Reads a response body in chunks, handing each to `sink`, refusing more
/// than `limit` bytes. A body cut short (reset, fewer bytes than
/// Content-Length) is a transient failure, and so is one that stalls: no
/// [`PROGRESS_BYTES`] within `allow` (what is left of the file's time budget).
pub fn read_body(
    mut resp: Response,
    limit: u64,
    allow: Duration,
    mut sink: impl FnMut(&[u8]) -> Result<(), Failure>,
) -> Result<u64, Failure> {
    let declared = resp.content_length();
    if let Some(len) = declared
        && len > limit
    {
        return Err(Failure::permanent(format!(
            "the server announces {len} bytes, over the {limit} byte limit"
        )));
    }
    let mut buf = vec![0u8; 64 << 10];
    let mut total = 0u64;
    let mut mark = Instant::now();
    let mut since_mark = 0u64;
    loop {
        let n = match resp.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let timed_out = e.kind() == std::io::ErrorKind::TimedOut || chain(&e).contains("timed out");
                return Err(Failure::Transient {
                    message: format!(
                        "{} after {total} of {} bytes: {}",
                        if timed_out { "timed out" } else { "connection failed" },
                        declared.map_or("?".to_owned(), |d| d.to_string()),
                        chain(&e)
                    ),
                    retry_after: None,
                    stalled: timed_out.then(|| mark.elapsed()),
                });
            }
        };
        if n == 0 {
            break;
        }
        total += n as u64;
        since_mark += n as u64;
        if since_mark >= PROGRESS_BYTES {
            mark = Instant::now();
            since_mark = 0;
        } else if mark.elapsed() >= allow {
            return Err(Failure::Transient {
                message: format!(
                    "timed out: stalled, {since_mark} bytes in {:.1?} after {total} of {} bytes",
                    mark.elapsed(),
                    declared.map_or("?".to_owned(), |d| d.to_string()),
                ),
                retry_after: None,
                stalled: Some(mark.elapsed()),
            });
        }
        if total > limit {
            return Err(Failure::permanent(format!("more than the {limit} byte limit")));
        }
        sink(&buf[..n])?;
    }
    if let Some(len) = declared
        && total < len
    {
        return Err(Failure::Transient {
            message: format!("body shorter than Content-Length: {total} of {len} bytes"),
            retry_after: None,
            stalled: None,
        });
    }
    Ok(total)
}

/// The pause before retry round `round` (0-based): 250 ms, 500 ms, 1 s, ... up to 8 s.
pub fn backoff(round: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << round.min(5))).min(Duration::from_secs(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, reqwest::header::HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, reqwest::header::HeaderValue::from_static("99999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            RETRY_AFTER,
            reqwest::header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(10), Duration::from_secs(8));
    }
}
