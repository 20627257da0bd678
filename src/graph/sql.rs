//! How a workspace connection leads to an Azure SQL server (baseline.md §1.4): the finding
//! rule of the `sql-server` target, which the collector and the resolver both follow.

use serde_json::Value;

use crate::cloud::Settings;
use crate::documents::text;

/// Whether a workspace connection points to a SQL database (§1.4, step 1).
fn is_sql_connection(conn: &Value) -> bool {
    ["AzureSqlDb", "SqlServer"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(text(conn, "properties.category")))
}

/// The host of a connection to an Azure SQL Database (a SQL connection whose host ends with
/// one of the settings' SQL host suffixes), lower-cased.
pub fn azure_sql_host(conn: &Value, settings: &Settings) -> Option<String> {
    if !is_sql_connection(conn) {
        return None;
    }
    let host = sql_host(text(conn, "properties.target"));
    settings
        .sql_host_suffixes
        .iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .any(|s| !s.is_empty() && host.ends_with(&s))
        .then_some(host)
}

/// The host of a SQL connection target (§1.4, step 2), lower-cased.
pub fn sql_host(target: &str) -> String {
    let lower = target.to_ascii_lowercase();
    let mut host = lower.as_str();
    for key in ["server=", "data source="] {
        if let Some(at) = lower.find(key) {
            host = lower[at + key.len()..]
                .split(';')
                .next()
                .unwrap_or_default();
            break;
        }
    }
    let host = host.trim();
    let host = host.split_once("://").map_or(host, |(_, h)| h);
    let host = host.strip_prefix("tcp:").unwrap_or(host);
    let host = host.split([':', ',', '/']).next().unwrap_or_default();
    host.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_hosts_are_extracted() {
        for (target, host) in [
            (
                "Server=tcp:srv.database.windows.net,1433;Database=d",
                "srv.database.windows.net",
            ),
            (
                "data source=SRV.database.windows.net;Initial Catalog=x",
                "srv.database.windows.net",
            ),
            (
                "mssql://srv.database.windows.net:1433/db",
                "srv.database.windows.net",
            ),
            ("srv.database.windows.net", "srv.database.windows.net"),
        ] {
            assert_eq!(sql_host(target), host, "{target}");
        }
    }
}
