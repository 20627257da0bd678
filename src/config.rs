//! The settings a team keeps for its audits (`amlsec.yaml`): found in the working directory or
//! given with `--config`; every command-line flag overrides the file's value.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Diagnostic, Error, Position, Result};
use crate::rules::Severity;

/// The file `amlsec audit` reads from the working directory when no `--config` is given.
pub const FILE_NAME: &str = "amlsec.yaml";

/// What the file may set. Relative paths are relative to the file's folder.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    pub level: Option<u8>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub controls: Vec<String>,
    #[serde(default)]
    pub skip: Vec<String>,
    pub severity: Option<Severity>,
    pub fail_on: Option<Severity>,
    #[serde(default)]
    pub fail_on_new: bool,
    /// Rule parameters, `NAME: VALUE`.
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, serde_json::Value>,
    /// Engine settings, `NAME: VALUE` (see `--setting`).
    #[serde(default)]
    pub settings: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    pub exceptions: Option<PathBuf>,
    pub answers: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    /// Report files, as `--output` takes them (`FORMAT:PATH` or a path with an extension).
    #[serde(default)]
    pub outputs: Vec<String>,
    pub format: Option<String>,
    /// Summarise by `mcsb`, `cis` or `nist` (see `--compliance`).
    pub compliance: Option<crate::rules::mcsb::Framework>,
}

impl Config {
    /// The file named, or `amlsec.yaml` in the working directory if there is one.
    pub fn find(named: Option<&Path>) -> Result<Option<(PathBuf, Config)>> {
        let path = match named {
            Some(p) => p.to_path_buf(),
            None => {
                let here = PathBuf::from(FILE_NAME);
                if !here.is_file() {
                    return Ok(None);
                }
                here
            }
        };
        let text = crate::input::read_text(&path, crate::input::TEXT_FILE_LIMIT)?;
        let config = Config::parse(&path.display().to_string(), &text)?;
        Ok(Some((path.clone(), config.relative_to(&path))))
    }

    /// Parses a config file; errors point at file:line:column.
    pub fn parse(name: &str, text: &str) -> Result<Config> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let config: Config = serde_saphyr::from_str_with_options(
            text,
            serde_saphyr::options! { strict_booleans: true },
        )
        .map_err(|e| {
            Error::Config(Diagnostic {
                file: name.to_string(),
                position: e.location().map(|l| Position {
                    line: l.line(),
                    column: l.column(),
                }),
                message: crate::input::yaml_message(&e),
            })
        })?;
        if let Some(level) = config.level
            && !matches!(level, 1 | 2)
        {
            return Err(Error::Config(Diagnostic {
                file: name.to_string(),
                position: None,
                message: format!("level must be 1 or 2, not {level}"),
            }));
        }
        Ok(config)
    }

    /// Paths in the file are relative to the file, wherever amlsec runs.
    fn relative_to(mut self, file: &Path) -> Config {
        let base = file.parent().unwrap_or(Path::new(""));
        let fix = |p: PathBuf| if p.is_relative() { base.join(p) } else { p };
        self.rules = self.rules.into_iter().map(fix).collect();
        self.exceptions = self.exceptions.map(fix);
        self.answers = self.answers.map(fix);
        self.baseline = self.baseline.map(fix);
        self.outputs = self
            .outputs
            .into_iter()
            .map(|o| match o.split_once(':') {
                Some((format, path)) if !format.contains(['/', '\\']) && format.len() > 1 => {
                    format!("{format}:{}", fix(PathBuf::from(path)).display())
                }
                _ => fix(PathBuf::from(o)).display().to_string(),
            })
            .collect();
        self
    }

    /// `NAME=VALUE` assignments of a map, as `--param` and `--setting` take them.
    pub fn assignments(map: &std::collections::BTreeMap<String, serde_json::Value>) -> Vec<String> {
        map.iter()
            .map(|(name, value)| match value {
                serde_json::Value::String(s) => format!("{name}={s}"),
                other => format!("{name}={other}"),
            })
            .collect()
    }
}

/// Writes the commented template to ./amlsec.yaml; an existing file is kept unless `force`.
pub fn init(force: bool) -> Result<String> {
    let path = Path::new(FILE_NAME);
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "{} exists; keep it, or write over it with --force",
            path.display()
        )));
    }
    std::fs::write(path, TEMPLATE).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(format!("wrote {FILE_NAME}: uncomment what you need"))
}

/// What `amlsec init` writes: every key, commented out, with what it does.
pub const TEMPLATE: &str = "\
## amlsec settings for this folder: `amlsec audit` reads them from ./amlsec.yaml (or the file
## given with --config). A flag on the command line overrides the value here. Paths are
## relative to this file. Uncomment what you need.

# level: 2                     # 1: every workspace; 2: also controls for sensitive data
# categories: [network, identity]
# controls: [AML-NS-01]
# skip: [AML-LT-*]             # control ids or `*` globs left out
# severity: medium             # only controls of this severity or higher
# fail-on: high                # lowest severity whose failure makes the exit code 1
# fail-on-new: true            # with baseline: only failures not in it make the exit code 1
# baseline: reports/last.json  # a previous JSON report: new, known and fixed findings
# exceptions: exceptions.yaml  # accepted risks, with reasons and expiry dates
# answers: answers.yaml        # answers to the manual controls (amlsec answers template)
# rules: [my-rules/]           # extra rule files or folders
# params:                      # rule parameters
#   owner_tag_keys: [owner, costCenter]
# settings:                    # engine settings (defaults follow the cloud)
#   aml_private_dns_zones: [privatelink.api.azureml.ms, privatelink.notebooks.azure.net]
# format: table                # what goes to standard output
# compliance: cis              # also summarise by mcsb, cis (v8) or nist (800-53 r4)
# outputs:                     # report files written on every run
#   - reports/amlsec.json
#   - sarif:reports/amlsec.sarif
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses_once_uncommented() {
        let uncommented: String = TEMPLATE
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .map(|l| format!("{l}\n"))
            .collect();
        let config =
            Config::parse("t.yaml", &uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        assert_eq!(config.level, Some(2));
        assert_eq!(config.fail_on, Some(Severity::High));
        assert_eq!(config.outputs.len(), 2);
        assert_eq!(config.compliance, Some(crate::rules::mcsb::Framework::Cis));
    }

    #[test]
    fn bad_files_are_located() {
        let e = Config::parse("c.yaml", "level: 2\nfail-on: hihg\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.yaml:2:10:"), "{e}");
        let e = Config::parse("c.yaml", "compliance: pci\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.yaml:1:13:"), "{e}");
        let e = Config::parse("c.yaml", "levl: 2\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.yaml:1:1:") && e.contains("unknown field"),
            "{e}"
        );
        assert!(Config::parse("c.yaml", "level: 3\n").is_err());
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let c = Config::parse(
            "x",
            "exceptions: e.yaml\noutputs: [sarif:out/a.sarif, b.json]\n",
        )
        .unwrap()
        .relative_to(Path::new("/repo/amlsec.yaml"));
        assert_eq!(c.exceptions.unwrap(), PathBuf::from("/repo/e.yaml"));
        assert_eq!(c.outputs, ["sarif:/repo/out/a.sarif", "/repo/b.json"]);
    }
}
