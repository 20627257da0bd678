//! The ARM client: GET only, plus the Resource Graph query POST, through one function
//! (DESIGN §10). Pages follow `nextLink` (Resource Graph's, `$skipToken`);
//! 5xx is retried with bounded attempts and jittered backoff; a subscription's 429 is retried,
//! honouring `Retry-After` and the subscription's pacing, for as long as the run's deadline
//! allows, so that throttling alone never fails a read; every request has a timeout and takes a slot of a bounded pool; failures keep the HTTP status,
//! ARM's error code and message, and `x-ms-request-id`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

use super::credential::TokenProvider;
use super::pacing::Pacing;
use super::slots::Slots;
use crate::documents::ReadFailure;

/// Attempts per request: the first and up to this many retries of 5xx (and of 429 outside a
/// subscription, where no pacing spreads the retries).
const MAX_RETRIES: u32 = 4;
const MAX_PAGES: usize = 1_000;
/// The longest `Retry-After` honoured outside a subscription's pacing; ARM asks for seconds.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Redirects followed per request, and only to the endpoint's own origin.
const MAX_REDIRECTS: usize = 5;
/// The error code of a reply that is not what ARM returns for the read (baseline.md §1.6).
pub const INVALID_RESPONSE: &str = "InvalidResponse";

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub endpoint: Url,
    pub concurrency: usize,
    pub timeout: Duration,
    /// First backoff delay when the server gives no `Retry-After`.
    pub backoff: Duration,
    /// Largest reply body read; a longer one is a failed read.
    pub max_reply_bytes: u64,
    /// The run's overall bound: a read that throttling would hold past it fails.
    pub deadline: std::time::Instant,
    /// What all the replies of a run may add up to, however many pages arrive.
    pub max_run_reply_bytes: u64,
}

pub struct ArmClient {
    /// Resource Graph's per-user quota as its last answer gave it: queries left in the window,
    /// and when the window resets.
    graph_quota: std::sync::Mutex<Option<(u64, std::time::Instant)>>,
    http: reqwest::Client,
    endpoint: Url,
    tokens: TokenProvider,
    slots: Slots,
    pacing: Pacing,
    requests: AtomicU64,
    /// Requests sent and not answered yet, and waits for throttling (429, Resource Graph's
    /// quota), for progress.
    in_flight: AtomicU64,
    throttled: AtomicU64,
    backoff: Duration,
    timeout: Duration,
    max_reply_bytes: u64,
    deadline: std::time::Instant,
    /// Reply bytes the run may still read (of `max_run_reply_bytes`).
    run_bytes_left: AtomicU64,
    max_run_reply_bytes: u64,
}

/// Whether a host may be reached over plain http: loopback only, so a token never crosses a
/// network in clear text.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Why an ARM endpoint may not be used: clear text off loopback, or credentials in the URL
/// (they would be sent as Basic auth and echoed into reports). Holds the URL without them.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "--arm-endpoint {0}: only https is allowed, or http to a loopback address (127.0.0.1, ::1, localhost)"
    )]
    ClearText(String),
    #[error(
        "--arm-endpoint {0}: remove the user name and password from the URL; amlsec signs in with --auth"
    )]
    Credentials(String),
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error("cannot start the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

pub fn check_endpoint(url: &Url) -> Result<(), EndpointError> {
    let scheme = url.scheme();
    if scheme != "https" && !(scheme == "http" && is_loopback(url)) {
        return Err(EndpointError::ClearText(redacted(url)));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::Credentials(redacted(url)));
    }
    Ok(())
}

/// The URL without its user name and password, for messages.
fn redacted(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

impl ArmClient {
    pub fn new(
        options: ClientOptions,
        tokens: TokenProvider,
    ) -> Result<Arc<ArmClient>, ClientError> {
        check_endpoint(&options.endpoint)?;
        let origin = options.endpoint.origin();
        // Same origin only: a redirect elsewhere would carry data we did not ask ARM for.
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if attempt.url().origin() == origin {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let http = reqwest::Client::builder()
            .user_agent(concat!("amlsec/", env!("CARGO_PKG_VERSION")))
            .timeout(options.timeout)
            .redirect(redirects)
            .build()?;
        Ok(Arc::new(ArmClient {
            graph_quota: std::sync::Mutex::new(None),
            http,
            endpoint: options.endpoint,
            tokens,
            slots: Slots::new(options.concurrency),
            pacing: Pacing::default(),
            requests: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            backoff: options.backoff,
            timeout: options.timeout,
            max_reply_bytes: options.max_reply_bytes,
            deadline: options.deadline,
            run_bytes_left: AtomicU64::new(options.max_run_reply_bytes),
            max_run_reply_bytes: options.max_run_reply_bytes,
        }))
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests waiting for their answer now.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Times a request waited because Azure throttled it.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    fn url(&self, path: &str, api_version: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.endpoint.clone();
        url.set_path(path);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("api-version", api_version);
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        url
    }

    /// GET one document: a JSON object whose `id` is the resource asked for.
    pub async fn get(&self, path: &str, api_version: &str) -> Result<Value, ReadFailure> {
        let doc = self
            .send(path, self.url(path, api_version, &[]), false, None)
            .await?;
        match doc.get("id").and_then(Value::as_str) {
            _ if !doc.is_object() => Err(invalid(path, "the reply is not a JSON object")),
            Some(id) if crate::arm_id::same(id, path) => Ok(doc),
            Some(id) => Err(invalid(
                path,
                &format!("the reply is the document of another resource ({id})"),
            )),
            None => Err(invalid(path, "the reply has no `id`")),
        }
    }

    /// GET every page of a list (`value` arrays joined, following `nextLink`).
    pub async fn list(
        &self,
        path: &str,
        api_version: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<Value>, ReadFailure> {
        let mut items = Vec::new();
        self.list_pages(path, api_version, query, |page| items.extend(page))
            .await?;
        Ok(items)
    }

    /// GET every page of a list, handing each page's items over as it arrives (so that work
    /// found through the first pages need not wait for the last).
    pub async fn list_pages(
        &self,
        path: &str,
        api_version: &str,
        query: &[(&str, &str)],
        mut each: impl FnMut(Vec<Value>),
    ) -> Result<(), ReadFailure> {
        let mut url = self.url(path, api_version, query);
        for page_number in 0..MAX_PAGES {
            let mut page = self.send(path, url.clone(), page_number > 0, None).await?;
            // A reply that also reports an error is not a complete page, whatever it lists.
            if page.get("error").is_some_and(|e| !e.is_null()) {
                return Err(invalid(path, "a list reply with both `value` and `error`"));
            }
            let Some(Value::Array(values)) = page.get_mut("value").map(Value::take) else {
                return Err(invalid(path, "a list reply without a `value` array"));
            };
            if let Some(bad) = values.iter().position(|v| {
                v.get("id")
                    .and_then(Value::as_str)
                    .is_none_or(|id| id.trim().is_empty())
            }) {
                return Err(invalid(
                    path,
                    &format!("list item {bad} is not an ARM document with an `id`"),
                ));
            }
            each(values);
            // The examples write `"nextLink": null` on the last page; anything but a string
            // or null leaves the list's end unknown.
            let next = match page.get("nextLink") {
                None | Some(Value::Null) => None,
                Some(Value::String(n)) if n.is_empty() => None,
                Some(Value::String(n)) => Some(n.as_str()),
                Some(_) => return Err(invalid(path, "`nextLink` is not a string")),
            };
            match next {
                None => return Ok(()),
                Some(next) => {
                    // A nextLink must stay on the ARM endpoint: the token goes with it.
                    url = match Url::parse(next) {
                        Ok(u) if u.origin() == self.endpoint.origin() => u,
                        _ => {
                            return Err(failure(
                                path,
                                None,
                                Some("InvalidNextLink"),
                                format!(
                                    "nextLink {next:?} does not point at {}",
                                    self.endpoint.origin().ascii_serialization()
                                ),
                                None,
                            ));
                        }
                    };
                }
            }
        }
        Err(failure(
            path,
            None,
            Some("TooManyPages"),
            format!("more than {MAX_PAGES} pages"),
            None,
        ))
    }

    /// Every row a Resource Graph query returns for these subscriptions, handed to `on_page`
    /// page by page on `$skipToken` (a result marked truncated without one is a failure: rows
    /// are missing), paced on the per-user quota the previous answer reported. A caller keeps
    /// what it takes of a page, so a tenant's rows are never all held parsed at once.
    pub async fn resource_graph(
        &self,
        query: &str,
        subscriptions: &[String],
        mut on_page: impl FnMut(Vec<Value>),
    ) -> Result<(), ReadFailure> {
        let url = self.url(GRAPH_PATH, crate::graph::indexed::API_VERSION, &[]);
        let mut skip_token: Option<String> = None;
        for page_number in 0..MAX_PAGES {
            self.wait_for_graph_quota().await?;
            let mut options = serde_json::json!({"resultFormat": "objectArray", "$top": 1000});
            if let Some(token) = &skip_token {
                options["$skipToken"] = Value::String(token.clone());
            }
            let body = serde_json::json!({"subscriptions": subscriptions, "query": query, "options": options});
            let mut page = self
                .send(GRAPH_PATH, url.clone(), page_number > 0, Some(&body))
                .await?;
            if page.get("error").is_some_and(|e| !e.is_null()) {
                return Err(invalid(
                    GRAPH_PATH,
                    "a Resource Graph reply with both `data` and `error`",
                ));
            }
            let Some(Value::Array(data)) = page.get_mut("data").map(Value::take) else {
                return Err(invalid(
                    GRAPH_PATH,
                    "a Resource Graph reply without a `data` array",
                ));
            };
            if let Some(bad) = data.iter().position(|row| {
                row.get("id")
                    .and_then(Value::as_str)
                    .is_none_or(|id| !id.trim().starts_with('/'))
            }) {
                return Err(invalid(
                    GRAPH_PATH,
                    &format!("Resource Graph row {bad} has no resource `id`"),
                ));
            }
            on_page(data);
            skip_token = match page.get("$skipToken") {
                Some(Value::String(t)) if !t.is_empty() => Some(t.clone()),
                None | Some(Value::Null) => None,
                Some(_) => return Err(invalid(GRAPH_PATH, "`$skipToken` is not a string")),
            };
            if skip_token.is_none() {
                let truncated = page.get("resultTruncated").is_some_and(|t| {
                    t == &Value::Bool(true)
                        || t.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
                });
                if truncated {
                    return Err(failure(
                        GRAPH_PATH,
                        None,
                        Some("ResultTruncated"),
                        "Resource Graph truncated the result and gave no $skipToken".into(),
                        None,
                    ));
                }
                return Ok(());
            }
        }
        Err(failure(
            GRAPH_PATH,
            None,
            Some("TooManyPages"),
            format!("more than {MAX_PAGES} pages"),
            None,
        ))
    }

    /// Waits, when Resource Graph said the user's quota is spent, until its window resets.
    /// A quota that resets later than one request's timeout is not waited for: the query
    /// fails, and what it would have provided is read by GET.
    async fn wait_for_graph_quota(&self) -> Result<(), ReadFailure> {
        let wait = match *self.graph_quota.lock().unwrap_or_else(|e| e.into_inner()) {
            Some((0, resets)) => resets.saturating_duration_since(std::time::Instant::now()),
            _ => Duration::ZERO,
        };
        if wait.is_zero() {
            return Ok(());
        }
        if wait > self.timeout || std::time::Instant::now() + wait > self.deadline {
            return Err(failure(
                GRAPH_PATH,
                Some(429),
                Some("UserQuotaExhausted"),
                format!(
                    "Resource Graph's quota for this user resets in {} s, longer than the {} s timeout",
                    wait.as_secs(),
                    self.timeout.as_secs()
                ),
                None,
            ));
        }
        self.throttled.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// Remembers the quota a Resource Graph answer reports (`x-ms-user-quota-remaining`, and
    /// `x-ms-user-quota-resets-after` as `hh:mm:ss`).
    fn note_graph_quota(&self, headers: &reqwest::header::HeaderMap) {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let remaining = header("x-ms-user-quota-remaining").and_then(|v| v.trim().parse().ok());
        let resets = header("x-ms-user-quota-resets-after").and_then(hms);
        if let (Some(remaining), Some(resets)) = (remaining, resets) {
            *self.graph_quota.lock().expect("quota lock") =
                Some((remaining, std::time::Instant::now() + resets));
        }
    }

    /// The one function that talks to ARM: GET, or with a `body` the Resource Graph query
    /// POST (the only other request amlsec sends; it reads, and only to [`GRAPH_PATH`]).
    async fn send(
        &self,
        path: &str,
        url: Url,
        next_page: bool,
        body: Option<&Value>,
    ) -> Result<Value, ReadFailure> {
        debug_assert!(body.is_none() || path == GRAPH_PATH);
        let body = body.filter(|_| path == GRAPH_PATH);
        let subscription = crate::arm_id::subscription(path).filter(|_| body.is_none());
        // Retries of 5xx (bounded), and 429s of a subscription read (bounded by the deadline).
        let mut attempt = 0;
        let mut throttled_times: u32 = 0;
        loop {
            if let Some(sub) = &subscription {
                self.wait_for_budget(path, sub, throttled_times).await?;
            }
            let response = self.exchange(path, &url, next_page, body).await;
            if response.is_err()
                && let Some(sub) = &subscription
            {
                self.pacing.answered(sub, None);
            }
            let response = response?;
            let status = response.status().as_u16();
            let request_id = response
                .headers()
                .get("x-ms-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let retry_after = retry_after(response.headers());
            if body.is_some() {
                self.note_graph_quota(response.headers());
            }
            if let Some(sub) = &subscription {
                self.note_read_budget(
                    sub,
                    response.headers(),
                    status,
                    retry_after,
                    throttled_times,
                );
            }
            if (300..400).contains(&status) {
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                return Err(failure(
                    path,
                    Some(status),
                    Some(INVALID_RESPONSE),
                    format!("redirect to another origin refused ({location:?})"),
                    request_id,
                ));
            }
            let body = self.body(response).await;
            let retryable = status == 429 || (500..600).contains(&status);
            // A subscription's 429 is retried until the deadline (its pacing holds the retry
            // for its Retry-After); otherwise a wait longer than the request timeout is not
            // waited for, and attempts are bounded.
            let paced = status == 429 && subscription.is_some();
            let waits = paced || retry_after.is_none_or(|d| d <= self.timeout.min(MAX_RETRY_AFTER));
            if retryable && (paced || attempt < MAX_RETRIES) && waits {
                if status == 429 {
                    self.throttled.fetch_add(1, Ordering::Relaxed);
                }
                // A throttled subscription's wait is taken by the pacing at the loop's top.
                if paced {
                    throttled_times += 1;
                } else {
                    let delay =
                        retry_after.unwrap_or_else(|| jittered(self.backoff * 2u32.pow(attempt)));
                    tokio::time::sleep(delay.min(self.timeout)).await;
                    attempt += 1;
                }
                continue;
            }
            let body = body.map_err(|(code, message)| {
                failure(path, Some(status), Some(code), message, request_id.clone())
            })?;
            if !(200..300).contains(&status) {
                let (code, message) = arm_error(&body);
                let message = match (retryable, message) {
                    (true, m) if !waits => format!(
                        "{m} (ARM asked to retry after {} s, longer than the {} s timeout)",
                        retry_after.unwrap_or_default().as_secs(),
                        self.timeout.as_secs()
                    ),
                    (true, m) => format!("{m} (after {} attempts)", attempt + 1),
                    (false, m) => m,
                };
                return Err(failure(
                    path,
                    Some(status),
                    code.as_deref(),
                    message,
                    request_id,
                ));
            }
            return decoded(path, status, &body, request_id);
        }
    }

    /// Waits for the subscription's read budget before a slot is taken, so that the reads of
    /// other subscriptions go on meanwhile; a wait past the run's deadline is a failed read.
    async fn wait_for_budget(
        &self,
        path: &str,
        subscription: &str,
        throttled_times: u32,
    ) -> Result<(), ReadFailure> {
        let wait = self.pacing.before_send(subscription);
        if std::time::Instant::now() + wait > self.deadline {
            self.pacing.answered(subscription, None);
            return Err(failure(
                path,
                (throttled_times > 0).then_some(429),
                Some("ThrottledPastDeadline"),
                format!(
                    "the subscription's read budget would let this read go only in {} s, after the run's deadline (--max-duration)",
                    wait.as_secs()
                ),
                None,
            ));
        }
        if !wait.is_zero() {
            self.throttled.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// One request in a slot, with a fresh token; no answer at all is a failed read.
    async fn exchange(
        &self,
        path: &str,
        url: &Url,
        next_page: bool,
        body: Option<&Value>,
    ) -> Result<reqwest::Response, ReadFailure> {
        let token = self.tokens.token().await.map_err(|why| {
            failure(
                path,
                None,
                Some("CredentialUnavailable"),
                why.to_string(),
                None,
            )
        })?;
        let _slot = self.slots.acquire(next_page).await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let request = match body {
            Some(b) => self
                .http
                .post(url.clone())
                .header("content-type", "application/json")
                .body(b.to_string()),
            None => self.http.get(url.clone()),
        };
        let sent = request
            .bearer_auth(token.secret())
            .header("accept", "application/json")
            .send()
            .await;
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        sent.map_err(|e| match e.is_timeout() {
            true => failure(
                path,
                None,
                Some("Timeout"),
                format!("no answer within {} s", self.timeout.as_secs_f64()),
                None,
            ),
            false => failure(path, None, Some("ConnectionFailed"), describe(&e), None),
        })
    }

    /// What an answer says of the subscription's read budget: the reads left, and a 429's
    /// wait (`Retry-After`, else a growing backoff).
    fn note_read_budget(
        &self,
        subscription: &str,
        headers: &reqwest::header::HeaderMap,
        status: u16,
        retry_after: Option<Duration>,
        throttled_times: u32,
    ) {
        let left = headers
            .get("x-ms-ratelimit-remaining-subscription-reads")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        self.pacing.answered(subscription, left);
        if status == 429 {
            let wait = retry_after
                .unwrap_or_else(|| jittered(self.backoff * 2u32.pow(throttled_times.min(6))));
            self.pacing.throttled(subscription, wait);
        }
    }

    /// Counts `n` more bytes against what the whole run may read from replies.
    fn spend_run_bytes(&self, n: u64) -> Result<(), (&'static str, String)> {
        let spent =
            self.run_bytes_left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                    left.checked_sub(n)
                });
        spent.map(|_| ()).map_err(|_| {
            (
                "RunReplyLimit",
                format!(
                    "the run's replies add up to more than {} bytes (--max-run-reply-size)",
                    self.max_run_reply_bytes
                ),
            )
        })
    }

    /// The reply body, refused past the size limit (checked as it arrives, not after).
    async fn body(
        &self,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, (&'static str, String)> {
        let limit = self.max_reply_bytes;
        let too_large = || {
            (
                INVALID_RESPONSE,
                format!("the reply is larger than {limit} bytes"),
            )
        };
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| ("ConnectionFailed", describe(&e)))?
        {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            self.spend_run_bytes(chunk.len() as u64)?;
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The Resource Graph query endpoint: the one path amlsec POSTs to.
pub const GRAPH_PATH: &str = "/providers/Microsoft.ResourceGraph/resources";

/// `hh:mm:ss`, as Resource Graph gives the time until its quota window resets.
fn hms(text: &str) -> Option<Duration> {
    let mut parts = text.trim().split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    (parts.next().is_none() && m < 60 && s < 60).then(|| Duration::from_secs(h * 3600 + m * 60 + s))
}

/// A reply that is not what ARM returns for the read.
pub(super) fn invalid(path: &str, why: &str) -> ReadFailure {
    failure(path, None, Some(INVALID_RESPONSE), why.to_string(), None)
}

/// A 2xx reply's body as JSON, within the depth limit, with its ids normalised.
fn decoded(
    path: &str,
    status: u16,
    body: &[u8],
    request_id: Option<String>,
) -> Result<Value, ReadFailure> {
    use crate::documents::entry::{MAX_DEPTH, normalise_ids, too_deep};
    if let Some(at) = too_deep(body, MAX_DEPTH) {
        return Err(failure(
            path,
            Some(status),
            Some(INVALID_RESPONSE),
            format!("the reply nests deeper than {MAX_DEPTH} levels (byte {at})"),
            request_id,
        ));
    }
    let mut doc: Value = serde_json::from_slice(body).map_err(|e| {
        failure(
            path,
            Some(status),
            Some(INVALID_RESPONSE),
            format!("the reply is not JSON that can be read in full: {e}"),
            request_id,
        )
    })?;
    normalise_ids(&mut doc);
    Ok(doc)
}

fn failure(
    path: &str,
    status: Option<u16>,
    code: Option<&str>,
    message: String,
    request_id: Option<String>,
) -> ReadFailure {
    ReadFailure {
        path: path.to_string(),
        status,
        code: code.map(str::to_string),
        message,
        request_id,
        unknown: false,
    }
}

fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// ARM's `{"error": {"code", "message"}}`, or the start of whatever the body was.
fn arm_error(body: &[u8]) -> (Option<String>, String) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let code = error
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&body[..body.len().min(200)])
                .trim()
                .to_string()
        });
    (code, message)
}

/// `Retry-After` in seconds or as an HTTP date, or ARM's `x-ms-retry-after-ms`.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("x-ms-retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_millis(ms));
    }
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate(value)?;
    Some(Duration::from_secs(when.saturating_sub(now_secs())))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seconds since the epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as u32 + 1;
    let date = crate::date::Date {
        year: year.parse().ok()?,
        month,
        day: day.parse().ok()?,
    };
    let mut hms = time.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    u64::try_from(date.days())
        .ok()
        .map(|d| d * 86_400 + h * 3600 + m * 60 + s)
}

/// Backoff with ±25 % jitter so that concurrent retries do not arrive together.
fn jittered(base: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let factor = 0.75 + f64::from(nanos % 1000) / 2000.0;
    base.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_may_use_http() {
        for (url, ok) in [
            ("http://127.0.0.1:8080", true),
            ("http://localhost", true),
            ("http://[::1]:1", true),
            ("http://10.0.0.1", false),
            ("http://management.azure.com", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), ok, "{url}");
        }
    }

    #[test]
    fn retry_after_forms() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("x-ms-retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        assert_eq!(httpdate("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(httpdate("soon"), None);
    }

    #[test]
    fn quota_reset_times_are_hours_minutes_seconds() {
        assert_eq!(hms("00:00:05"), Some(Duration::from_secs(5)));
        assert_eq!(hms("01:02:03"), Some(Duration::from_secs(3723)));
        for bad in ["5", "00:61:00", "a:b:c", "00:00:05:00", ""] {
            assert_eq!(hms(bad), None, "{bad}");
        }
    }

    #[test]
    fn arm_errors_are_parsed() {
        let (code, message) =
            arm_error(br#"{"error": {"code": "AuthorizationFailed", "message": "no access"}}"#);
        assert_eq!(
            (code.as_deref(), message.as_str()),
            (Some("AuthorizationFailed"), "no access")
        );
        assert_eq!(
            arm_error(b"<html>bad gateway</html>"),
            (None, "<html>bad gateway</html>".to_string())
        );
    }
}
