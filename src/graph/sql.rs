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

/// Where a workspace connection leads, for the SQL controls (§1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlTarget {
    /// Not a SQL connection, or a SQL server outside Azure SQL Database.
    Elsewhere,
    /// The host of an Azure SQL Database (ending with one of the settings' suffixes),
    /// lower-cased.
    Azure(String),
    /// A SQL connection whose target names no host: it could hide a server, so it is judged
    /// by a person, never taken as not applicable (v0.3).
    NoHost,
}

/// Where a workspace connection leads (§1.4, steps 1 and 2).
pub fn sql_target(conn: &Value, settings: &Settings) -> SqlTarget {
    if !is_sql_connection(conn) {
        return SqlTarget::Elsewhere;
    }
    let host = sql_host(text(conn, "properties.target"));
    if host.is_empty() {
        return SqlTarget::NoHost;
    }
    let azure = settings
        .sql_host_suffixes
        .iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .any(|s| !s.is_empty() && host.ends_with(&s));
    match azure {
        true => SqlTarget::Azure(host),
        false => SqlTarget::Elsewhere,
    }
}

/// The host of a connection to an Azure SQL Database, lower-cased.
pub fn azure_sql_host(conn: &Value, settings: &Settings) -> Option<String> {
    match sql_target(conn, settings) {
        SqlTarget::Azure(host) => Some(host),
        _ => None,
    }
}

/// The host of a SQL connection target (§1.4, step 2, with the v0.3 forms), lower-cased:
/// `Server=` or `Data Source=` (white space around `=` allowed) of a connection string, else
/// the target itself; everything up to `://` is the scheme (`mssql://`,
/// `jdbc:sqlserver://`); `tcp:` is a protocol prefix; the host ends at the first `/`, `;`,
/// `:` (port) or `,` (port). Empty when no host can be taken.
pub fn sql_host(target: &str) -> String {
    // Compiled once: every SQL connection of every workspace comes through here.
    static KEY: std::sync::OnceLock<Option<regex_lite::Regex>> = std::sync::OnceLock::new();
    let lower = target.to_ascii_lowercase();
    let keyed = KEY
        .get_or_init(|| regex_lite::Regex::new(r"(?:^|;)\s*(?:server|data source)\s*=\s*").ok())
        .as_ref()
        .and_then(|key| key.find(&lower))
        .map(|m| &lower[m.end()..]);
    let host = keyed.unwrap_or(&lower).trim();
    let host = host.split_once("://").map_or(host, |(_, h)| h);
    let host = host.strip_prefix("tcp:").unwrap_or(host).trim();
    let host = host.split(['/', ';', ':', ',']).next().unwrap_or_default();
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
            // v0.3: white space around `=`, any scheme, `;` ends the host.
            (
                "Server = tcp:srv.database.windows.net , 1433;Database=d",
                "srv.database.windows.net",
            ),
            (
                "Data Source =SRV.database.windows.net",
                "srv.database.windows.net",
            ),
            (
                "jdbc:sqlserver://srv.database.windows.net;databaseName=d",
                "srv.database.windows.net",
            ),
            (
                "Database=d;Server=srv.database.windows.net",
                "srv.database.windows.net",
            ),
            ("Server=;Database=d", ""),
            ("", ""),
        ] {
            assert_eq!(sql_host(target), host, "{target}");
        }
    }
}
