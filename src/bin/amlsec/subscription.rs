//! Which subscription a flag means: ids as scopes, and the default the Azure CLI would use.

use amlsec::error::{Error, Result};

/// `/subscriptions/{id}` from a subscription id or path.
pub fn subscription_scope(sub: &str) -> String {
    let sub = sub.trim().trim_end_matches('/');
    match sub.rsplit_once('/') {
        Some((_, id)) => format!("/subscriptions/{id}"),
        None => format!("/subscriptions/{sub}"),
    }
}

/// The one subscription a flag (`what`) needs: `--subscription`, else AZURE_SUBSCRIPTION_ID,
/// else the Azure CLI's default (`az account show`), as `az` itself would use.
pub fn one_subscription(subs: &[String], what: &str) -> Result<String> {
    match subs {
        [one] => Ok(one.clone()),
        [] => cli_default_subscription().ok_or_else(|| {
            Error::Usage(format!(
                "{what} needs --subscription (or AZURE_SUBSCRIPTION_ID, or a default subscription in `az account show`)"
            ))
        }),
        _ => Err(Error::Usage(format!("{what} takes one --subscription"))),
    }
}

/// The Azure CLI's default subscription, when `az` is installed and signed in.
pub fn cli_default_subscription() -> Option<String> {
    let out = std::process::Command::new("az")
        .args(["account", "show", "--query", "id", "-o", "tsv"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let id = String::from_utf8(out.stdout).ok()?;
    let id = id.trim();
    let plausible =
        !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    (out.status.success() && plausible).then(|| subscription_scope(id))
}
