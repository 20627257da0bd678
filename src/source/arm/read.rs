//! The live read itself: a runtime, a token, the client, the collector, and progress.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use super::client::{self, ArmClient, ClientOptions};
use super::collect::Collector;
use super::credential::TokenProvider;
use super::{Live, LiveOptions, ResourceGraph, Selector};
use crate::cloud::Settings;
use crate::error::Error;
use crate::graph::SubjectId;
use crate::graph::{self, TargetKind};

/// Reads the selected subjects and the `wanted` targets (with the targets they need).
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
    use_ring_for_tls();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        // Refuse a clear-text endpoint before any credential is asked for a token.
        client::check_endpoint(&url).map_err(Error::Usage)?;
        let tokens = TokenProvider::acquire(options.auth, options.cloud)
            .await
            .map_err(|e| Error::Auth(e.to_string()))?;
        if options.verbose {
            // Best effort, like progress: a closed stderr must not stop the audit.
            let _ = writeln!(std::io::stderr(), "amlsec: signed in with {}", tokens.mode);
        }
        let client = ArmClient::new(
            ClientOptions {
                endpoint: url,
                concurrency: options.concurrency,
                timeout: options.timeout,
                backoff: Duration::from_millis(500),
                max_reply_bytes: options.max_reply_bytes,
                deadline: std::time::Instant::now() + options.max_duration,
                max_run_reply_bytes: options.max_run_reply_bytes,
            },
            tokens,
        )
        .map_err(Error::Usage)?;
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
        // SQL hosts are looked up in the subscriptions being scanned (§1.4).
        let mut subscriptions: Vec<String> = selector
            .workspace
            .iter()
            .chain(&scopes)
            .chain(selector.named.iter().map(|(_, id)| id))
            .filter_map(|s| crate::arm_id::subscription(s))
            .collect();
        subscriptions.sort_by_key(|s| s.to_ascii_lowercase());
        subscriptions.dedup_by_key(|s| s.to_ascii_lowercase());
        let graph = match options.resource_graph {
            ResourceGraph::Always => true,
            ResourceGraph::Never => false,
            ResourceGraph::Auto => subscriptions.len() > 1,
        };
        let subscription_ids: Vec<String> = subscriptions
            .iter()
            .map(|s| crate::arm_id::last_segment(s).to_string())
            .collect();
        let collector =
            Collector::new(Arc::clone(&client), settings.clone(), subscriptions, wanted);
        let progress = options.progress.then(|| {
            progress(
                Arc::clone(&collector),
                Arc::clone(&client),
                subscription_ids.len(),
            )
        });
        let graph_read_at = graph.then(crate::date::now_rfc3339);
        if graph {
            // Best effort, like progress: a closed stderr must not stop the audit.
            match collector.prefetch_from_graph(&subscription_ids).await {
                Ok(n) if options.verbose => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "amlsec: Resource Graph gave {n} documents"
                    );
                }
                Ok(_) => {}
                Err(f) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "amlsec: warning: Resource Graph could not be read ({}); those documents are read by GET",
                        crate::terminal::printable(&f.to_string())
                    );
                }
            }
        }
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
        // Discovered subjects are read as their list pages arrive, not after the last one.
        let (mut subjects, mut errors) = if scopes.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            collector
                .discover_and_collect(&scopes, &selector.undiscovered, selector.tenant.is_some())
                .await
                .map_err(Error::Unreadable)?
        };
        let extra: Vec<SubjectId> = named
            .into_iter()
            .filter(|(k, id)| {
                !subjects
                    .iter()
                    .any(|(s, i)| s == k && crate::arm_id::same(i, id))
            })
            .collect();
        collector.collect(&extra).await;
        subjects.extend(extra);
        // The Foundry accounts the workspaces' AI-services connections name (Annex B §B.1).
        let foundry = graph::foundry_subject();
        if !selector.undiscovered.contains(&foundry) && collector.reads_for(foundry) {
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
            // A linked account of another kind is simply not a Foundry account.
            subjects.extend(linked.into_iter().filter(|(s, id)| {
                collector
                    .read_document(id)
                    .is_none_or(|d| s.audits_kind(&d, settings) != Some(false))
            }));
        }
        // A named subject of a kind its type holds but amlsec does not audit (a Face account
        // given as --foundry) is no subject: the audit says so and is incomplete.
        subjects.retain(|(s, id)| {
            let Some(doc) = collector.read_document(id) else {
                return true;
            };
            if s.audits_kind(&doc, settings) != Some(false) {
                return true;
            }
            errors.push(crate::documents::ReadFailure {
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
        // Workspaces first, then registries, each by id.
        subjects.sort_by_key(|(s, id)| {
            let rank = graph::SUBJECTS.iter().position(|k| k == *s);
            (rank, crate::arm_id::key(id))
        });
        if let Some(task) = progress {
            task.abort();
            let _ = writeln!(
                std::io::stderr(),
                "{}amlsec: {}/{} workspaces and registries read, {} requests, {} throttling waits",
                if std::io::stderr().is_terminal() { "\r" } else { "" },
                subjects.len(),
                subjects.len(),
                client.requests(),
                client.throttled()
            );
        }
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
    })
}

/// Progress on stderr until aborted: a line redrawn in place on a terminal, a plain line
/// every 10 s in a CI log. Best effort: a closed stderr must not stop the audit.
fn progress(
    collector: Arc<Collector>,
    client: Arc<ArmClient>,
    subscriptions: usize,
) -> tokio::task::JoinHandle<()> {
    let terminal = std::io::stderr().is_terminal();
    let every = Duration::from_millis(if terminal { 200 } else { 10_000 });
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let line = format!(
                "amlsec: {subscriptions} subscriptions, {}/{} workspaces and registries read, {} requests ({} pending), {} throttling waits",
                collector.subjects_done(),
                collector.subjects_found(),
                client.requests(),
                client.in_flight(),
                client.throttled()
            );
            let _ = match terminal {
                true => write!(std::io::stderr(), "\r{line}"),
                false => writeln!(std::io::stderr(), "{line}"),
            };
        }
    })
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
            Err(why) => return Err(super::client::invalid(&path, &why)),
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
