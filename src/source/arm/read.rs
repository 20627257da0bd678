//! The live read itself: a token, the client, the collector, and progress told to the host.

use std::sync::Arc;
use std::time::Duration;

use super::client::{self, ArmClient, ClientError, ClientOptions};
use super::collect::Collector;
use super::credential::TokenProvider;
use super::{Live, LiveOptions, Progress, ResourceGraph, Selector, Status};
use crate::cloud::Settings;
use crate::documents::ReadFailure;
use crate::error::Error;
use crate::graph::SubjectId;
use crate::graph::{self, TargetKind};

/// Reads the selected subjects and the `wanted` targets (with the targets they need), on the
/// runtime of `options.host`.
pub fn read(
    options: &LiveOptions,
    selector: &Selector,
    settings: &Settings,
    wanted: &[TargetKind],
) -> Result<Live, Error> {
    let endpoint = options
        .endpoint
        .clone()
        .unwrap_or_else(|| options.cloud.endpoint().to_string());
    let url = reqwest::Url::parse(&endpoint)
        .map_err(|e| Error::Usage(format!("--arm-endpoint: not a URL: {e}")))?;
    // Refuse a clear-text endpoint before any credential is asked for a token.
    client::check_endpoint(&url).map_err(|e| Error::Usage(e.to_string()))?;
    use_ring_for_tls();
    let runtime = options.host.runtime().map_err(|e| Error::Start {
        what: "the async runtime",
        source: e.into(),
    })?;
    runtime.block_on(async {
        let client = connect(options, url).await?;
        read_with(options, selector, settings, wanted, client).await
    })
}

/// Signs in and builds the client.
async fn connect(options: &LiveOptions, endpoint: reqwest::Url) -> Result<Arc<ArmClient>, Error> {
    let tokens = TokenProvider::acquire(options.auth, options.cloud)
        .await
        .map_err(|e| Error::Auth(e.to_string()))?;
    options.host.progress(Progress::SignedIn {
        credential: tokens.mode,
    });
    let client = ArmClient::new(
        ClientOptions {
            endpoint,
            concurrency: options.concurrency,
            timeout: options.timeout,
            backoff: Duration::from_millis(500),
            max_reply_bytes: options.max_reply_bytes,
            deadline: std::time::Instant::now() + options.max_duration,
            max_run_reply_bytes: options.max_run_reply_bytes,
        },
        tokens,
    );
    client.map_err(|e| match e {
        ClientError::Endpoint(e) => Error::Usage(e.to_string()),
        ClientError::Http(e) => Error::Start {
            what: "the HTTP client",
            source: e.into(),
        },
    })
}

async fn read_with(
    options: &LiveOptions,
    selector: &Selector,
    settings: &Settings,
    wanted: &[TargetKind],
    client: Arc<ArmClient>,
) -> Result<Live, Error> {
    // A tenant's subscriptions are listed first; which exist is unknown if that fails.
    let mut scopes = selector.scopes.clone();
    if let Some(tenant) = &selector.tenant {
        scopes = subscriptions_of(&client, tenant)
            .await
            .map_err(Error::Unreadable)?;
        if scopes.is_empty() {
            return Err(Error::Usage(format!("{tenant}: no subscription to audit")));
        }
    }
    let subscriptions = subscriptions_scanned(selector, &scopes);
    let graph = match options.resource_graph {
        ResourceGraph::Always => true,
        ResourceGraph::Never => false,
        ResourceGraph::Auto => subscriptions.len() > 1,
    };
    let subscription_ids: Vec<String> = subscriptions
        .iter()
        .map(|s| crate::arm_id::last_segment(s).to_string())
        .collect();
    let collector = Collector::new(
        Arc::clone(&client),
        settings.clone(),
        subscriptions,
        wanted,
        graph,
    );
    let status = {
        let (collector, client) = (Arc::clone(&collector), Arc::clone(&client));
        let subscriptions = subscription_ids.len();
        move || Status {
            subscriptions,
            subjects_read: collector.subjects_done(),
            subjects_found: collector.subjects_found(),
            requests: client.requests(),
            pending: client.in_flight(),
            throttled: client.throttled(),
        }
    };
    let ticker = tokio::spawn({
        let (host, status) = (Arc::clone(&options.host), status.clone());
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                host.progress(Progress::Reading(status()));
            }
        }
    });
    let graph_read_at = graph.then(crate::date::now_rfc3339);
    // Reads the graph may answer wait for it; the others (lists, types it does not index)
    // start at once.
    let prefetch = async {
        if graph {
            match collector.prefetch_from_graph(&subscription_ids).await {
                Ok(documents) => options.host.progress(Progress::GraphRead { documents }),
                Err(f) => options.host.progress(Progress::GraphUnreadable {
                    reason: &f.to_string(),
                }),
            }
            collector.graph_finished();
        }
    };
    let ((), read) = tokio::join!(prefetch, subjects(&collector, selector, &scopes, settings));
    ticker.abort();
    let (subjects, errors) = read?;
    options.host.progress(Progress::Read(Status {
        subjects_read: subjects.len(),
        subjects_found: subjects.len(),
        ..status()
    }));
    if subjects.is_empty() && errors.is_empty() {
        return Err(Error::Usage(format!(
            "no Azure ML workspace, AML registry or Foundry account in {}",
            selector.scopes.join(", ")
        )));
    }
    // A workspace named on the command line that does not exist is a typo, not an audit.
    if let Some(id) = &selector.workspace
        && let Some(f) = collector.failure(id).filter(|f| f.status == Some(404))
    {
        return Err(Error::Usage(not_found(&client, id, &f).await));
    }
    Ok(Live {
        documents: collector.documents(),
        subjects,
        errors,
        requests: client.requests(),
        endpoint: client.endpoint().to_string(),
        graph: graph_read_at.map(|read_at| super::GraphRead {
            api_version: crate::graph::indexed::API_VERSION,
            read_at,
            documents: collector.graph_documents(),
        }),
    })
}

/// The subscriptions SQL hosts are looked up in: those being scanned (§1.4), by id.
fn subscriptions_scanned(selector: &Selector, scopes: &[String]) -> Vec<String> {
    let mut subscriptions: Vec<String> = selector
        .workspace
        .iter()
        .chain(scopes)
        .chain(selector.named.iter().map(|(_, id)| id))
        .filter_map(|s| crate::arm_id::subscription(s))
        .collect();
    subscriptions.sort_by_key(|s| s.to_ascii_lowercase());
    subscriptions.dedup_by_key(|s| s.to_ascii_lowercase());
    subscriptions
}

/// Reads every selected subject: the named ones, those discovered in `scopes` (as their list
/// pages arrive, not after the last one), and the Foundry accounts the workspaces link.
/// Workspaces first, then registries, then accounts, each by id.
async fn subjects(
    collector: &Arc<Collector>,
    selector: &Selector,
    scopes: &[String],
    settings: &Settings,
) -> Result<(Vec<SubjectId>, Vec<ReadFailure>), Error> {
    let mut named: Vec<SubjectId> = Vec::new();
    if let Some(id) = &selector.workspace {
        named.push((
            graph::workspace_subject(),
            crate::arm_id::normalise(id).to_string(),
        ));
    }
    for (kind, id) in &selector.named {
        named.push((kind, crate::arm_id::normalise(id).to_string()));
    }
    let (mut subjects, mut errors) = if scopes.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        collector
            .discover_and_collect(scopes, &selector.undiscovered, selector.tenant.is_some())
            .await
            .map_err(Error::Unreadable)?
    };
    named.retain(|(k, id)| {
        !subjects
            .iter()
            .any(|(s, i)| s == k && crate::arm_id::same(i, id))
    });
    collector.collect(&named).await;
    subjects.extend(named);
    let linked = linked_foundry_accounts(collector, selector, &subjects, settings).await;
    subjects.extend(linked);
    // A named subject of a kind its type holds but amlsec does not audit (a Face account
    // given as --foundry) is no subject: the audit says so and is incomplete.
    subjects.retain(|(s, id)| {
        let Some(doc) = collector.read_document(id) else {
            return true;
        };
        if s.audits_kind(&doc, settings) != Some(false) {
            return true;
        }
        errors.push(ReadFailure {
            path: id.clone(),
            status: None,
            code: Some("NotAFoundryAccount".into()),
            message: format!(
                "{} {id}: its kind `{}` is not one of the audited kinds (setting {})",
                s.flag,
                crate::documents::text(&doc, "kind"),
                s.kinds.unwrap_or_default()
            ),
            request_id: None,
            unknown: false,
        });
        false
    });
    subjects.sort_by_key(|(s, id)| {
        let rank = graph::SUBJECTS.iter().position(|k| k == *s);
        (rank, crate::arm_id::key(id))
    });
    Ok((subjects, errors))
}

/// The Foundry accounts the workspaces' AI-services connections name (Annex B §B.1), read;
/// a linked account of another kind is simply not a Foundry account.
async fn linked_foundry_accounts(
    collector: &Arc<Collector>,
    selector: &Selector,
    subjects: &[SubjectId],
    settings: &Settings,
) -> Vec<SubjectId> {
    let foundry = graph::foundry_subject();
    if selector.undiscovered.contains(&foundry) || !collector.reads_for(foundry) {
        return Vec::new();
    }
    let workspaces: Vec<&str> = subjects
        .iter()
        .filter(|(s, _)| *s == graph::workspace_subject())
        .map(|(_, id)| id.as_str())
        .collect();
    let linked: Vec<SubjectId> = collector
        .foundry_accounts_named_by(&workspaces)
        .await
        .into_iter()
        .filter(|id| !subjects.iter().any(|(_, i)| crate::arm_id::same(i, id)))
        .map(|id| (foundry, id))
        .collect();
    collector.collect(&linked).await;
    linked
        .into_iter()
        .filter(|(s, id)| {
            collector
                .read_document(id)
                .is_none_or(|d| s.audits_kind(&d, settings) != Some(false))
        })
        .collect()
}

/// The subscriptions (`/subscriptions/{id}`) of a tenant-wide audit, every page read.
async fn subscriptions_of(
    client: &ArmClient,
    tenant: &super::Tenant,
) -> Result<Vec<String>, crate::documents::ReadFailure> {
    use crate::graph::tenant;
    let (path, api) = match tenant {
        super::Tenant::AllSubscriptions => (
            tenant::SUBSCRIPTIONS_PATH.to_string(),
            tenant::SUBSCRIPTIONS_API,
        ),
        super::Tenant::ManagementGroup(mg) => {
            (tenant::descendants_path(mg), tenant::MANAGEMENT_GROUPS_API)
        }
    };
    let mut scopes = Vec::new();
    for item in client.list(&path, api, &[]).await? {
        match tenant::subscription_of(&item) {
            Ok(Some(scope)) => scopes.push(scope),
            Ok(None) => {}
            Err(why) => return Err(super::client::invalid(&path, &why.to_string())),
        }
    }
    scopes.sort_by_key(|s| s.to_ascii_lowercase());
    scopes.dedup_by_key(|s| s.to_ascii_lowercase());
    Ok(scopes)
}

/// TLS uses ring rather than rustls' default aws-lc: a clean release build takes 129 s instead
/// of 156 s on 2 cores and needs no CMake. reqwest and azure_identity both take the process
/// default; installing fails only when one is already installed, which is as good.
fn use_ring_for_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// One line for a workspace that does not exist, naming those its resource group has.
async fn not_found(
    client: &ArmClient,
    id: &str,
    failure: &crate::documents::ReadFailure,
) -> String {
    let name = crate::arm_id::last_segment(id);
    let rg = crate::arm_id::resource_group(id).unwrap_or_default();
    let list = format!("{rg}/providers/{}", crate::graph::AML_WORKSPACE);
    let there = match client.list(&list, crate::graph::api::ML, &[]).await {
        Ok(found) if found.is_empty() => "it has no Azure ML workspace".to_string(),
        Ok(found) => format!(
            "its workspaces: {}",
            found
                .iter()
                .map(|w| crate::arm_id::last_segment(crate::documents::text(w, "id")))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Err(f) => format!("its workspaces cannot be listed either ({f})"),
    };
    format!(
        "workspace {name} does not exist in {rg} ({}); {there}",
        failure
            .request_id
            .as_deref()
            .map_or("HTTP 404".to_string(), |r| format!(
                "HTTP 404, x-ms-request-id {r}"
            ))
    )
}

#[cfg(test)]
mod tests {
    /// Installing twice is harmless, and reqwest (built without a provider) then finds ring.
    #[test]
    fn https_clients_build_with_ring_installed() {
        super::use_ring_for_tls();
        super::use_ring_for_tls();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        reqwest::Client::builder().build().unwrap();
    }
}
