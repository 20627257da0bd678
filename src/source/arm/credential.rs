//! Credentials (DESIGN §3) on `azure_identity` 1.x: each explicit mode, the `auto` chain, and a
//! static token for air-gapped tooling. Every attempt is bounded in time, and when nothing works
//! one message lists each mode tried and why it failed. Tokens are never printed.

use std::sync::Arc;
use std::time::Duration;

use azure_core::cloud::CloudConfiguration;
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions};
use azure_identity::{
    AzurePipelinesCredential, AzurePipelinesCredentialOptions, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    DeveloperToolsCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use tokio::sync::Mutex;

use super::certificate::CertificateAssertion;
use super::{AuthMode, Cloud};

impl AuthMode {
    fn name(self) -> &'static str {
        match self {
            AuthMode::Auto => "auto",
            AuthMode::ServicePrincipal => "service principal (secret or certificate)",
            AuthMode::WorkloadIdentity => "workload identity (federated token)",
            AuthMode::AzurePipelines => "Azure Pipelines (service connection)",
            AuthMode::ManagedIdentity => "managed identity",
            AuthMode::Cli => "Azure CLI / Azure Developer CLI",
            AuthMode::Token => "token (AMLSEC_ACCESS_TOKEN)",
        }
    }
}

/// The instance metadata service, and how long `auto` waits for it to accept a connection.
const IMDS: &str = "169.254.169.254:80";
const IMDS_PROBE: Duration = Duration::from_millis(500);

/// Whether something accepts a TCP connection at `address` within `wait`.
async fn answers(address: &str, wait: Duration) -> bool {
    matches!(
        tokio::time::timeout(wait, tokio::net::TcpStream::connect(address)).await,
        Ok(Ok(_))
    )
}

/// The longest one credential may take before the next one is tried.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Refresh a token this long before it expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
#[error("no credential worked:\n{}", .0.iter().map(|(mode, why)| format!("  - {mode}: {why}")).collect::<Vec<_>>().join("\n"))]
pub struct AuthError(pub Vec<(String, String)>);

enum Source {
    Static(Secret),
    Credential(Arc<dyn TokenCredential>),
}

/// Bearer tokens for ARM, cached until shortly before they expire (the Azure CLI credential
/// itself caches nothing and would spawn `az` for every request).
pub struct TokenProvider {
    /// The credential that worked, for `--verbose`.
    pub mode: &'static str,
    source: Source,
    scope: String,
    cached: Mutex<Option<(Secret, std::time::Instant)>>,
}

impl std::fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenProvider")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Credentials get a short retry policy: the default one takes over 80 s to give up offline.
fn client_options(cloud: Cloud) -> ClientOptions {
    ClientOptions {
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: azure_core::time::Duration::milliseconds(200),
            max_retries: 2,
            max_total_elapsed: azure_core::time::Duration::seconds(8),
            max_delay: azure_core::time::Duration::seconds(2),
        }),
        cloud: Some(Arc::new(match cloud {
            Cloud::Public => CloudConfiguration::AzurePublic,
            Cloud::UsGov => CloudConfiguration::AzureGovernment,
            Cloud::China => CloudConfiguration::AzureChina,
        })),
        ..ClientOptions::default()
    }
}

/// Every cause of an azure_core error: its top-level message often hides the real one.
fn describe(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.join(": ").replace('\n', " ")
}

/// Why one credential mode cannot be tried, or got no token.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("{0} is not set")]
    Unset(&'static str),
    #[error("AZURE_CLIENT_SECRET is not set (nor AZURE_CLIENT_CERTIFICATE_PATH)")]
    NoSecret,
    #[error(transparent)]
    Certificate(#[from] super::certificate::CertificateError),
    #[error("{}", describe(.0))]
    Azure(#[from] azure_core::Error),
    #[error("no answer within {} s", .0.as_secs())]
    Timeout(Duration),
}

fn build(mode: AuthMode, cloud: Cloud) -> Result<Source, CredentialError> {
    let need = |name: &'static str| env(name).ok_or(CredentialError::Unset(name));
    let credential: Arc<dyn TokenCredential> = match mode {
        AuthMode::Token => {
            return need("AMLSEC_ACCESS_TOKEN")
                .map(|t| Source::Static(Secret::new(t.trim().to_string())));
        }
        AuthMode::ServicePrincipal => {
            let (tenant, client) = (need("AZURE_TENANT_ID")?, need("AZURE_CLIENT_ID")?);
            if env("AZURE_CLIENT_SECRET").is_none()
                && let Some(path) = env("AZURE_CLIENT_CERTIFICATE_PATH")
            {
                let audience = format!("{}/{tenant}/oauth2/v2.0/token", cloud.authority());
                let password = env("AZURE_CLIENT_CERTIFICATE_PASSWORD");
                let assertion = CertificateAssertion::load(
                    std::path::Path::new(&path),
                    password.as_deref(),
                    &client,
                    audience,
                )?;
                let options = ClientAssertionCredentialOptions {
                    client_options: client_options(cloud),
                };
                return ClientAssertionCredential::new(tenant, client, assertion, Some(options))
                    .map(|c| Source::Credential(c))
                    .map_err(CredentialError::from);
            }
            let secret = need("AZURE_CLIENT_SECRET").map_err(|_| CredentialError::NoSecret)?;
            let options = ClientSecretCredentialOptions {
                client_options: client_options(cloud),
            };
            ClientSecretCredential::new(&tenant, client, Secret::new(secret), Some(options))?
        }
        AuthMode::WorkloadIdentity => {
            need("AZURE_FEDERATED_TOKEN_FILE")?;
            let options = WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: client_options(cloud),
                },
                ..Default::default()
            };
            WorkloadIdentityCredential::new(Some(options))?
        }
        AuthMode::AzurePipelines => {
            need("SYSTEM_OIDCREQUESTURI")?;
            let tenant =
                need("AZURESUBSCRIPTION_TENANT_ID").or_else(|_| need("AZURE_TENANT_ID"))?;
            let client =
                need("AZURESUBSCRIPTION_CLIENT_ID").or_else(|_| need("AZURE_CLIENT_ID"))?;
            let connection = need("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID")?;
            let token = need("SYSTEM_ACCESSTOKEN")?;
            let options = AzurePipelinesCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: client_options(cloud),
                },
            };
            AzurePipelinesCredential::new(tenant, client, &connection, token, Some(options))?
        }
        AuthMode::ManagedIdentity => {
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: env("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
                client_options: client_options(cloud),
            };
            ManagedIdentityCredential::new(Some(options))?
        }
        AuthMode::Cli => DeveloperToolsCredential::new(None)?,
        AuthMode::Auto => unreachable!("auto is a chain of the other modes"),
    };
    Ok(Source::Credential(credential))
}

impl TokenProvider {
    /// A provider that has proven it can get a token for `cloud`'s ARM scope.
    pub async fn acquire(mode: AuthMode, cloud: Cloud) -> Result<TokenProvider, AuthError> {
        let modes: &[AuthMode] = match mode {
            AuthMode::Auto => &[
                AuthMode::ServicePrincipal,
                AuthMode::WorkloadIdentity,
                AuthMode::AzurePipelines,
                AuthMode::ManagedIdentity,
                AuthMode::Cli,
            ],
            one => std::slice::from_ref(match one {
                AuthMode::ServicePrincipal => &AuthMode::ServicePrincipal,
                AuthMode::WorkloadIdentity => &AuthMode::WorkloadIdentity,
                AuthMode::AzurePipelines => &AuthMode::AzurePipelines,
                AuthMode::ManagedIdentity => &AuthMode::ManagedIdentity,
                AuthMode::Cli => &AuthMode::Cli,
                _ => &AuthMode::Token,
            }),
        };
        let mut failures = Vec::new();
        for &m in modes {
            // Off Azure nothing answers at the metadata address, and waiting out the managed
            // identity's own timeout would delay `az login` by seconds: probe it first.
            if mode == AuthMode::Auto
                && m == AuthMode::ManagedIdentity
                && env("IDENTITY_ENDPOINT").is_none()
                && env("MSI_ENDPOINT").is_none()
                && !answers(IMDS, IMDS_PROBE).await
            {
                failures.push((
                    m.name().to_string(),
                    format!(
                        "no instance metadata service at {IMDS} within {} ms (not an Azure host)",
                        IMDS_PROBE.as_millis()
                    ),
                ));
                continue;
            }
            let provider = match build(m, cloud) {
                Ok(source) => TokenProvider {
                    mode: m.name(),
                    source,
                    scope: cloud.scope().to_string(),
                    cached: Mutex::new(None),
                },
                Err(why) => {
                    failures.push((m.name().to_string(), why.to_string()));
                    continue;
                }
            };
            match provider.token().await {
                Ok(_) => return Ok(provider),
                Err(why) => failures.push((m.name().to_string(), why.to_string())),
            }
        }
        Err(AuthError(failures))
    }

    /// A bearer token, from the cache while it is fresh.
    pub async fn token(&self) -> Result<Secret, CredentialError> {
        let credential = match &self.source {
            Source::Static(secret) => return Ok(secret.clone()),
            Source::Credential(c) => c,
        };
        let mut cached = self.cached.lock().await;
        if let Some((secret, until)) = cached.as_ref()
            && std::time::Instant::now() < *until
        {
            return Ok(secret.clone());
        }
        let scopes = [self.scope.as_str()];
        let request = credential.get_token(&scopes, None);
        let token = match tokio::time::timeout(ATTEMPT_TIMEOUT, request).await {
            Err(_) => return Err(CredentialError::Timeout(ATTEMPT_TIMEOUT)),
            Ok(Err(e)) => return Err(e.into()),
            Ok(Ok(t)) => t,
        };
        let lifetime = (token.expires_on - azure_core::time::OffsetDateTime::now_utc())
            .whole_seconds()
            .max(0) as u64;
        let fresh_for = Duration::from_secs(lifetime).saturating_sub(REFRESH_MARGIN);
        *cached = Some((token.token.clone(), std::time::Instant::now() + fresh_for));
        Ok(token.token)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[tokio::test]
    async fn the_metadata_probe_sees_a_listener_and_a_closed_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap().to_string();
        assert!(super::answers(&open, Duration::from_secs(5)).await);
        drop(listener);
        assert!(!super::answers(&open, Duration::from_secs(5)).await);
    }
}
