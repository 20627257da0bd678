//! A fake Azure Resource Manager on 127.0.0.1 for tests and benchmarks: it serves the documents
//! of a snapshot by id and as paged lists, the way ARM does, answers Resource Graph queries of
//! the one form amlsec sends (and refuses any other), and injects faults on request. It
//! answers any other method than GET with 405 and remembers it, so a test can prove amlsec
//! never writes.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amlsec::documents::Documents;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use serde_json::{Value, json};

/// What the server does to requests whose path contains `path` (case-insensitive).
#[derive(Clone, Debug)]
pub struct Fault {
    pub path: String,
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
    /// How many requests it applies to; `None` for all.
    pub times: Option<usize>,
    pub delay: Duration,
    /// Match the whole path, not a part of it.
    pub exact: bool,
}

impl Fault {
    pub fn new(path: &str, status: u16) -> Fault {
        let body =
            json!({"error": {"code": code(status), "message": format!("injected {status}")}})
                .to_string();
        Fault {
            path: path.to_ascii_lowercase(),
            status,
            body,
            headers: vec![],
            times: None,
            delay: Duration::ZERO,
            exact: false,
        }
    }
    pub fn exact(mut self) -> Fault {
        self.exact = true;
        self
    }
    pub fn times(mut self, n: usize) -> Fault {
        self.times = Some(n);
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Fault {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn body(mut self, body: &str) -> Fault {
        self.body = body.into();
        self
    }
    pub fn delay(mut self, d: Duration) -> Fault {
        self.delay = d;
        self
    }
}

fn code(status: u16) -> &'static str {
    match status {
        403 => "AuthorizationFailed",
        404 => "ResourceNotFound",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        503 => "ServiceUnavailable",
        _ => "Error",
    }
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// The request body (Resource Graph queries).
    pub body: String,
    pub path_and_query: String,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    /// When it arrived.
    pub at: std::time::Instant,
}

pub struct State {
    docs: Documents,
    page_size: usize,
    latency: Duration,
    faults: Mutex<Vec<Fault>>,
    pub seen: Mutex<Vec<Seen>>,
    addr: Mutex<Option<SocketAddr>>,
    /// Resource Graph: rows per page, ids it does not return (indexing lag), and queries per
    /// one-second quota window (what is left is reported in `x-ms-user-quota-remaining`).
    pub graph_page_size: Mutex<usize>,
    pub graph_hidden: Mutex<Vec<String>>,
    /// Rows the graph returns before the current ones (a stale copy of a resource).
    pub graph_stale: Mutex<Vec<Value>>,
    pub graph_quota: Mutex<u64>,
    graph_window: Mutex<(u64, std::time::Instant)>,
    /// The rows of each query asked so far, so that its pages are cut from one answer.
    graph_answers: Mutex<HashMap<String, Arc<Vec<Value>>>>,
    /// Each list's items, computed once: a page of a long list is then a slice, not a scan
    /// of the estate (which at tenant scale made the fake, not amlsec, the bottleneck).
    lists: Mutex<HashMap<String, Option<Arc<Vec<Value>>>>>,
    /// The documents of each type, parsed once for the lists cut from them.
    of_type: Mutex<HashMap<String, Arc<Vec<Value>>>>,
    /// ARM's read throttling, when set: per subscription a bucket of `capacity` reads refilled
    /// at `per_second`; an empty bucket answers 429 with `Retry-After: 1`.
    pub throttle: Mutex<Option<Throttle>>,
    /// 429s the throttling answered.
    pub throttled: std::sync::atomic::AtomicUsize,
}

#[derive(Debug)]
pub struct Throttle {
    pub capacity: f64,
    pub per_second: f64,
    buckets: HashMap<String, (f64, std::time::Instant)>,
    /// Reads served, per subscription (429s not counted).
    pub served: HashMap<String, usize>,
}

impl Throttle {
    pub fn new(capacity: f64, per_second: f64) -> Throttle {
        Throttle {
            capacity,
            per_second,
            buckets: HashMap::new(),
            served: HashMap::new(),
        }
    }

    /// Takes a read from the subscription's bucket: the reads left, or `None` when empty.
    fn take(&mut self, subscription: &str) -> Option<u64> {
        let now = std::time::Instant::now();
        let (capacity, rate) = (self.capacity, self.per_second);
        let (tokens, at) = self
            .buckets
            .entry(subscription.to_string())
            .or_insert((capacity, now));
        *tokens = (*tokens + rate * now.duration_since(*at).as_secs_f64()).min(capacity);
        *at = now;
        if *tokens < 1.0 {
            return None;
        }
        *tokens -= 1.0;
        let left = *tokens as u64;
        *self.served.entry(subscription.to_string()).or_default() += 1;
        Some(left)
    }
}

pub struct FakeArm {
    pub state: Arc<State>,
    pub addr: SocketAddr,
    _runtime: std::thread::JoinHandle<()>,
}

impl FakeArm {
    /// Serves `docs` on a free loopback port from a thread of its own.
    pub fn start(
        docs: Documents,
        page_size: usize,
        latency: Duration,
        faults: Vec<Fault>,
    ) -> FakeArm {
        let state = Arc::new(State {
            docs,
            page_size: page_size.max(1),
            latency,
            faults: Mutex::new(faults),
            seen: Mutex::new(vec![]),
            addr: Mutex::new(None),
            graph_page_size: Mutex::new(1000),
            graph_hidden: Mutex::new(vec![]),
            graph_stale: Mutex::new(vec![]),
            graph_quota: Mutex::new(15),
            graph_window: Mutex::new((0, std::time::Instant::now())),
            graph_answers: Mutex::new(HashMap::new()),
            lists: Mutex::new(HashMap::new()),
            of_type: Mutex::new(HashMap::new()),
            throttle: Mutex::new(None),
            throttled: Default::default(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        *state.addr.lock().unwrap() = Some(addr);
        let shared = Arc::clone(&state);
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback(
                    move |method: Method, uri: Uri, headers: HeaderMap, body: axum::body::Bytes| {
                        let state = Arc::clone(&shared);
                        async move { state.answer(method, uri, headers, body).await }
                    },
                );
                axum::serve(listener, app).await.unwrap();
            });
        });
        FakeArm {
            state,
            addr,
            _runtime: handle,
        }
    }

    /// Adds a fault once the server runs (for replies that must name its address).
    pub fn add_fault(&self, fault: Fault) {
        self.state.faults.lock().unwrap().push(fault);
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Every item the fake serves for a list path (all pages), or `None` for a resource path.
    pub fn served(&self, path: &str) -> Option<Vec<Value>> {
        self.state.list(path)
    }

    /// The document the fake serves for a resource path.
    pub fn document(&self, path: &str) -> Option<Value> {
        self.state.docs.find(path)
    }

    pub fn page_size(&self) -> usize {
        self.state.page_size
    }
}

impl State {
    async fn answer(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> Response<Body> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        self.seen.lock().unwrap().push(Seen {
            method: method.to_string(),
            body: String::from_utf8_lossy(&body).into_owned(),
            path_and_query: uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            authorization: header("authorization"),
            user_agent: header("user-agent"),
            at: std::time::Instant::now(),
        });
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let graph = method == Method::POST
            && uri
                .path()
                .eq_ignore_ascii_case("/providers/Microsoft.ResourceGraph/resources");
        if method != Method::GET && !graph {
            return reply(
                405,
                &json!({"error": {"code": "MethodNotAllowed", "message": "amlsec must only read"}})
                    .to_string(),
                &[],
            );
        }
        let path = uri.path().to_string();
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            let lower = path.to_ascii_lowercase();
            let hit = faults.iter_mut().find(|f| {
                (if f.exact {
                    lower == f.path
                } else {
                    lower.contains(&f.path)
                }) && f.times.is_none_or(|n| n > 0)
            });
            hit.map(|f| {
                if let Some(n) = f.times.as_mut() {
                    *n -= 1;
                }
                f.clone()
            })
        };
        if let Some(f) = fault {
            tokio::time::sleep(f.delay).await;
            let headers: Vec<(&str, &str)> = f
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            return reply(f.status, &f.body, &headers);
        }
        let query: HashMap<String, String> = uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        if !query.contains_key("api-version") {
            return reply(400, &json!({"error": {"code": "MissingApiVersionParameter", "message": "api-version is required"}}).to_string(), &[]);
        }
        if graph {
            // Answering a query scans the estate: off the workers, so that ARM's GETs are
            // not held up by it (they are not, in Azure).
            return tokio::task::block_in_place(|| self.graph(&query["api-version"], &body));
        }
        let subscription = path
            .to_ascii_lowercase()
            .strip_prefix("/subscriptions/")
            .and_then(|rest| rest.split('/').next())
            .map(str::to_string);
        let left = match (self.throttle.lock().unwrap().as_mut(), &subscription) {
            (Some(t), Some(sub)) => match t.take(sub) {
                Some(left) => Some(left.to_string()),
                None => {
                    self.throttled
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return reply(
                        429,
                        &json!({"error": {"code": "SubscriptionRequestsThrottled", "message": "throttled"}}).to_string(),
                        &[("retry-after", "1"), ("x-ms-ratelimit-remaining-subscription-reads", "0")],
                    );
                }
            },
            _ => None,
        };
        let budget: Vec<(&str, &str)> = left
            .as_deref()
            .map(|l| ("x-ms-ratelimit-remaining-subscription-reads", l))
            .into_iter()
            .collect();
        if let Some(doc) = self.docs.find(&path) {
            return reply(200, &doc.to_string(), &budget);
        }
        let items = {
            let key = path.to_ascii_lowercase();
            let cached = self.lists.lock().unwrap().get(&key).cloned();
            cached.unwrap_or_else(|| {
                let items = tokio::task::block_in_place(|| self.list(&path)).map(Arc::new);
                self.lists.lock().unwrap().insert(key, items.clone());
                items
            })
        };
        match items {
            Some(items) => {
                let skip: usize = query.get("$skiptoken").and_then(|s| s.parse().ok()).unwrap_or(0);
                let page: Vec<&Value> = items.iter().skip(skip).take(self.page_size).collect();
                let mut body = json!({"value": page});
                if skip + self.page_size < items.len() {
                    let addr = self.addr.lock().unwrap().unwrap();
                    let mut next = url::Url::parse(&format!("http://{addr}{path}")).unwrap();
                    next.query_pairs_mut().append_pair("api-version", &query["api-version"]).append_pair("$skiptoken", &(skip + self.page_size).to_string());
                    if let Some(f) = query.get("$filter") {
                        next.query_pairs_mut().append_pair("$filter", f);
                    }
                    body["nextLink"] = json!(next.to_string());
                }
                reply(200, &body.to_string(), &budget)
            }
            None => reply(404, &json!({"error": {"code": "ResourceNotFound", "message": format!("{path} was not found")}}).to_string(), &budget),
        }
    }

    /// A Resource Graph query: only the form amlsec sends (`<table> | where type in~ (...) |
    /// where subscriptionId in~ (...) | project ... | order by id asc`), answered from the
    /// documents with ARG's row shape (lower-cased type, null for what a resource lacks),
    /// paged by `$skipToken`, with the user's quota in the headers.
    fn graph(&self, api_version: &str, body: &[u8]) -> Response<Body> {
        let bad = |why: &str| {
            reply(
                400,
                &json!({"error": {"code": "BadRequest", "message": why}}).to_string(),
                &[],
            )
        };
        if api_version != "2024-04-01" {
            return bad("unsupported api-version");
        }
        let Ok(request) = serde_json::from_slice::<Value>(body) else {
            return bad("the body is not JSON");
        };
        let form = regex_lite::Regex::new(
            r"^(resources|securityresources|authorizationresources|policyresources) \| where type in~ \(([^)]*)\) \| where subscriptionId in~ \(([^)]*)\) \| project id, name, type, kind, location, tags, sku, identity, properties \| order by id asc$",
        )
        .unwrap();
        let Some(q) = request["query"].as_str().and_then(|q| form.captures(q)) else {
            return bad("amlsec sends one query form; this is not it");
        };
        let list = |text: &str| -> Vec<String> {
            text.split(", ")
                .map(|s| s.trim_matches('\'').to_ascii_lowercase())
                .collect()
        };
        let (types, in_query) = (list(&q[2]), list(&q[3]));
        let Some(subscriptions) = request["subscriptions"].as_array() else {
            return bad("no subscriptions");
        };
        let subscriptions: Vec<String> = subscriptions
            .iter()
            .filter_map(|s| s.as_str().map(str::to_ascii_lowercase))
            .filter(|s| in_query.contains(s))
            .collect();
        let asked = format!("{} {subscriptions:?}", &q[0]);
        let cached = self.graph_answers.lock().unwrap().get(&asked).cloned();
        let rows = cached.unwrap_or_else(|| {
            let rows = Arc::new(self.graph_rows(&types, &subscriptions));
            self.graph_answers
                .lock()
                .unwrap()
                .insert(asked, Arc::clone(&rows));
            rows
        });
        let skip: usize = request["options"]["$skipToken"]
            .as_str()
            .and_then(|t| t.strip_prefix("offset-"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let top = request["options"]["$top"].as_u64().unwrap_or(100) as usize;
        let page_size = top.min(*self.graph_page_size.lock().unwrap()).max(1);
        let page: Vec<Value> = rows.iter().skip(skip).take(page_size).cloned().collect();
        let mut answer = json!({
            "totalRecords": rows.len(),
            "count": page.len(),
            "resultTruncated": "false",
            "facets": [],
            "data": page,
        });
        if skip + page_size < rows.len() {
            answer["$skipToken"] = json!(format!("offset-{}", skip + page_size));
        }
        let remaining = {
            let mut window = self.graph_window.lock().unwrap();
            if window.1.elapsed() >= Duration::from_secs(1) {
                *window = (0, std::time::Instant::now());
            }
            window.0 += 1;
            self.graph_quota
                .lock()
                .unwrap()
                .saturating_sub(window.0)
                .to_string()
        };
        reply(
            200,
            &answer.to_string(),
            &[
                ("x-ms-user-quota-remaining", remaining.as_str()),
                ("x-ms-user-quota-resets-after", "00:00:01"),
            ],
        )
    }

    /// Every row of these types in these subscriptions, as Resource Graph shapes them,
    /// sorted by id; hidden ids left out.
    fn graph_rows(&self, types: &[String], subscriptions: &[String]) -> Vec<Value> {
        let hidden = self.graph_hidden.lock().unwrap().clone();
        let stale = self.graph_stale.lock().unwrap().clone();
        let mut rows: Vec<Value> = stale
            .into_iter()
            .filter(|d| {
                types.iter().any(|t| {
                    d["type"]
                        .as_str()
                        .is_some_and(|dt| dt.eq_ignore_ascii_case(t))
                })
            })
            .chain(types.iter().flat_map(|t| self.docs.of_type(t)))
            .filter(|d| {
                let id = d["id"].as_str().unwrap_or_default().to_ascii_lowercase();
                let sub = id.split('/').nth(2).unwrap_or_default().to_string();
                subscriptions.contains(&sub) && !hidden.iter().any(|h| h.eq_ignore_ascii_case(&id))
            })
            .map(|d| {
                let mut row = json!({});
                for column in [
                    "id",
                    "name",
                    "type",
                    "kind",
                    "location",
                    "tags",
                    "sku",
                    "identity",
                    "properties",
                ] {
                    row[column] = d.get(column).cloned().unwrap_or(Value::Null);
                }
                row["type"] = json!(d["type"].as_str().unwrap_or_default().to_ascii_lowercase());
                row
            })
            .collect();
        rows.sort_by_key(|r| r["id"].as_str().unwrap_or_default().to_ascii_lowercase());
        rows
    }

    /// The items of a list request, or `None` when the path names a single resource.
    fn list(&self, path: &str) -> Option<Vec<Value>> {
        let lower = path.to_ascii_lowercase().trim_end_matches('/').to_string();
        // The subscriptions the caller can read.
        if lower == "/subscriptions" {
            return Some(self.docs.list(path).unwrap_or_default());
        }
        let scope_of = |suffix: &str| lower.strip_suffix(suffix).map(str::to_string);
        let under = |prefix: &str, t: &str| -> Vec<Value> {
            let all = {
                let mut cache = self.of_type.lock().unwrap();
                let all = cache
                    .entry(t.to_string())
                    .or_insert_with(|| Arc::new(self.docs.of_type(t)));
                Arc::clone(all)
            };
            all.iter()
                .filter(|d| {
                    d["id"].as_str().is_some_and(|id| {
                        id.to_ascii_lowercase().starts_with(&format!("{prefix}/"))
                    })
                })
                .cloned()
                .collect()
        };
        for t in [
            "Microsoft.Authorization/roleAssignments",
            "Microsoft.Authorization/policyAssignments",
        ] {
            if let Some(scope) = scope_of(&format!("/providers/{}", t.to_ascii_lowercase())) {
                return Some(self.docs.scoped(&scope, t));
            }
        }
        // Every subject kind's discovery list, and the other lists of a scope's resources.
        let subjects = amlsec::graph::SUBJECTS.iter().map(|s| s.resource_type);
        for t in ["Microsoft.Authorization/locks", "Microsoft.Sql/servers"]
            .into_iter()
            .chain(subjects)
        {
            if let Some(scope) = scope_of(&format!("/providers/{}", t.to_ascii_lowercase()))
                && !scope.contains("/providers/")
            {
                return Some(under(&scope, t));
            }
        }
        // After the last provider namespace, type/name pairs name a resource; an odd count, a list.
        let segments: Vec<&str> = lower.split('/').filter(|s| !s.is_empty()).collect();
        let at = segments.iter().rposition(|s| *s == "providers")?;
        let after = segments.len() - at - 2;
        (after % 2 == 1).then(|| self.docs.list(path).unwrap_or_default())
    }
}

fn reply(status: u16, body: &str, headers: &[(&str, &str)]) -> Response<Body> {
    let mut r = Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .header("x-ms-request-id", format!("req-{status}-{}", body.len()));
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Body::from(body.to_string())).unwrap()
}
