//! A fake Azure Resource Manager on 127.0.0.1 for tests and benchmarks: it serves the documents
//! of a snapshot by id and as paged lists, the way ARM does, and injects faults on request. It
//! answers any method other than GET with 405 and remembers it, so a test can prove amlsec
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
    pub path_and_query: String,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
}

pub struct State {
    docs: Documents,
    page_size: usize,
    latency: Duration,
    faults: Mutex<Vec<Fault>>,
    pub seen: Mutex<Vec<Seen>>,
    addr: Mutex<Option<SocketAddr>>,
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
                    move |method: Method, uri: Uri, headers: HeaderMap| {
                        let state = Arc::clone(&shared);
                        async move { state.answer(method, uri, headers).await }
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
    async fn answer(&self, method: Method, uri: Uri, headers: HeaderMap) -> Response<Body> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        self.seen.lock().unwrap().push(Seen {
            method: method.to_string(),
            path_and_query: uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            authorization: header("authorization"),
            user_agent: header("user-agent"),
        });
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if method != Method::GET {
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
        if let Some(doc) = self.docs.find(&path) {
            return reply(200, &doc.to_string(), &[]);
        }
        match self.list(&path) {
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
                reply(200, &body.to_string(), &[])
            }
            None => reply(404, &json!({"error": {"code": "ResourceNotFound", "message": format!("{path} was not found")}}).to_string(), &[]),
        }
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
            self.docs
                .of_type(t)
                .into_iter()
                .filter(|d| {
                    d["id"].as_str().is_some_and(|id| {
                        id.to_ascii_lowercase().starts_with(&format!("{prefix}/"))
                    })
                })
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
        for t in [
            "Microsoft.Authorization/locks",
            "Microsoft.MachineLearningServices/workspaces",
            "Microsoft.MachineLearningServices/registries",
            "Microsoft.Sql/servers",
        ] {
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
