//! What depends on the Azure cloud: ARM's endpoint and token scope, and the settings the
//! engine itself reads (AML private DNS zone names, SQL host suffixes). Settings are not rule
//! parameters: they hold whatever rule files are loaded, and the user overrides them with
//! `--setting NAME=VALUE`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// An Azure cloud: its ARM endpoint, token scope and sign-in authority go together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Public,
    UsGov,
    China,
}

impl Cloud {
    pub fn endpoint(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com",
            Cloud::UsGov => "https://management.usgovcloudapi.net",
            Cloud::China => "https://management.chinacloudapi.cn",
        }
    }

    /// Where Entra ID signs in for this cloud (a certificate assertion's audience starts so).
    pub fn authority(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com",
            Cloud::UsGov => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// What the template function `environment()` returns in this cloud (the values ARM
    /// documents for its clouds; templates pick DNS zone names and endpoints from them).
    pub fn environment(self) -> Value {
        let (name, arm, login, storage, vault, sql, acr) = match self {
            Cloud::Public => (
                "AzureCloud",
                "https://management.azure.com/",
                "https://login.microsoftonline.com/",
                "core.windows.net",
                ".vault.azure.net",
                ".database.windows.net",
                ".azurecr.io",
            ),
            Cloud::UsGov => (
                "AzureUSGovernment",
                "https://management.usgovcloudapi.net/",
                "https://login.microsoftonline.us/",
                "core.usgovcloudapi.net",
                ".vault.usgovcloudapi.net",
                ".database.usgovcloudapi.net",
                ".azurecr.us",
            ),
            Cloud::China => (
                "AzureChinaCloud",
                "https://management.chinacloudapi.cn/",
                "https://login.chinacloudapi.cn/",
                "core.chinacloudapi.cn",
                ".vault.azure.cn",
                ".database.chinacloudapi.cn",
                ".azurecr.cn",
            ),
        };
        json!({
            "name": name,
            "resourceManager": arm,
            "authentication": {"loginEndpoint": login, "audiences": [arm], "tenant": "common", "identityProvider": "AAD"},
            "suffixes": {
                "storage": storage,
                "keyvaultDns": vault,
                "sqlServerHostname": sql,
                "acrLoginServer": acr,
            },
        })
    }

    pub fn scope(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com/.default",
            Cloud::UsGov => "https://management.usgovcloudapi.net/.default",
            Cloud::China => "https://management.chinacloudapi.cn/.default",
        }
    }
}

/// The settings of one audit: the cloud's defaults, then the user's overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Names of the AML private DNS zones (AML-NS-04, AML-NS-05; which zones' VNet links are read).
    pub aml_private_dns_zones: Vec<String>,
    /// Host suffixes of Azure SQL Database (baseline.md §1.4).
    pub sql_host_suffixes: Vec<String>,
    /// The `kind`s of Cognitive Services account audited as Foundry accounts.
    pub foundry_kinds: Vec<String>,
    /// The private DNS zones a Foundry account's private endpoint registers, by account
    /// kind; `*` for any other kind (AML-NS-43, AML-NS-44).
    pub foundry_private_dns_zones: BTreeMap<String, Vec<String>>,
}

/// A `--setting` that names no setting or gives it a value it cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingError(pub String);

impl Settings {
    /// Every setting name, for `{setting: NAME}` in rules and `--setting NAME=VALUE`.
    pub const NAMES: &[&str] = &[
        "aml_private_dns_zones",
        "sql_host_suffixes",
        "foundry_kinds",
        "foundry_private_dns_zones",
    ];

    /// The Foundry private DNS zones for an account kind (case-insensitive; `*` otherwise).
    pub fn foundry_zones_for(&self, kind: &str) -> &[String] {
        let kind = kind.trim();
        self.foundry_private_dns_zones
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(kind))
            .or_else(|| self.foundry_private_dns_zones.get_key_value("*"))
            .map_or(&[], |(_, zones)| zones.as_slice())
    }

    /// The defaults of a cloud, as Microsoft documents them for private endpoints and SQL.
    pub fn for_cloud(cloud: Cloud) -> Settings {
        let (zones, sql): (&[&str], &[&str]) = match cloud {
            Cloud::Public => (
                &[
                    "privatelink.api.azureml.ms",
                    "privatelink.notebooks.azure.net",
                ],
                &[".database.windows.net"],
            ),
            Cloud::UsGov => (
                &[
                    "privatelink.api.ml.azure.us",
                    "privatelink.notebooks.usgovcloudapi.net",
                ],
                &[".database.usgovcloudapi.net"],
            ),
            Cloud::China => (
                &[
                    "privatelink.api.ml.azure.cn",
                    "privatelink.notebooks.chinacloudapi.cn",
                ],
                &[".database.chinacloudapi.cn"],
            ),
        };
        let own = |list: &[&str]| -> Vec<String> { list.iter().map(|s| s.to_string()).collect() };
        // Microsoft documents the Foundry zones for the public cloud only ("DNS zone
        // configurations summary"); elsewhere the operator sets them.
        const COGNITIVE: &str = "privatelink.cognitiveservices.azure.com";
        const OPENAI: &str = "privatelink.openai.azure.com";
        const SERVICES: &str = "privatelink.services.ai.azure.com";
        let foundry_zones = BTreeMap::from([
            (
                "AIServices".to_string(),
                own(&[COGNITIVE, OPENAI, SERVICES]),
            ),
            ("OpenAI".to_string(), own(&[OPENAI])),
            ("*".to_string(), own(&[COGNITIVE])),
        ]);
        Settings {
            aml_private_dns_zones: own(zones),
            sql_host_suffixes: own(sql),
            foundry_kinds: own(&["AIServices", "OpenAI"]),
            foundry_private_dns_zones: foundry_zones,
        }
    }

    /// Overrides one setting from `NAME=VALUE`, VALUE a YAML list or one string.
    pub fn set(&mut self, assignment: &str) -> Result<(), SettingError> {
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| SettingError(format!("--setting {assignment}: write NAME=VALUE")))?;
        let (name, value) = (name.trim(), value.trim());
        let strict = serde_saphyr::options! { strict_booleans: true };
        if name == "foundry_private_dns_zones" {
            let zones: BTreeMap<String, Vec<String>> =
                serde_saphyr::from_str_with_options(value, strict).map_err(|e| {
                    SettingError(format!(
                        "--setting {name}: expected a map of account kind to zone names, e.g. {{AIServices: [privatelink.openai.azure.com]}}: {}",
                        e
                    ))
                })?;
            self.foundry_private_dns_zones = zones;
            return Ok(());
        }
        let list: Vec<String> = match serde_saphyr::from_str_with_options::<Value>(value, strict) {
            Ok(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    other => Err(SettingError(format!(
                        "--setting {name}: {other} is not a text"
                    ))),
                })
                .collect::<Result<_, _>>()?,
            Ok(Value::Null) => vec![],
            _ => vec![value.to_string()],
        };
        let list = list.into_iter().map(|s| s.trim().to_string()).collect();
        match name {
            "aml_private_dns_zones" => self.aml_private_dns_zones = list,
            "sql_host_suffixes" => self.sql_host_suffixes = list,
            "foundry_kinds" => self.foundry_kinds = list,
            _ => {
                return Err(SettingError(format!(
                    "--setting {name}: unknown setting; settings: {}",
                    Self::NAMES.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// A setting's value, for rules that read it (`{setting: NAME}`).
    pub fn value(&self, name: &str) -> Option<Value> {
        match name {
            "aml_private_dns_zones" => Some(json!(self.aml_private_dns_zones)),
            "sql_host_suffixes" => Some(json!(self.sql_host_suffixes)),
            "foundry_kinds" => Some(json!(self.foundry_kinds)),
            "foundry_private_dns_zones" => Some(json!(self.foundry_private_dns_zones)),
            _ => None,
        }
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings::for_cloud(Cloud::Public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_per_cloud_and_take_overrides() {
        let mut s = Settings::for_cloud(Cloud::UsGov);
        assert_eq!(s.aml_private_dns_zones[0], "privatelink.api.ml.azure.us");
        s.set("aml_private_dns_zones=[a.example, b.example]")
            .unwrap();
        s.set("sql_host_suffixes=.db.example").unwrap();
        assert_eq!(s.aml_private_dns_zones, ["a.example", "b.example"]);
        assert_eq!(s.sql_host_suffixes, [".db.example"]);
        s.set("aml_private_dns_zones=[]").unwrap();
        assert!(s.aml_private_dns_zones.is_empty());
        assert!(
            s.set("dns_vnet_ids=[x]")
                .unwrap_err()
                .0
                .contains("unknown setting")
        );
        assert!(s.set("no-equals").is_err());
    }
}
