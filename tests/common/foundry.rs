//! The Annex B case files (tests/data/foundry-cases): each a snapshot named by the control it
//! tests and the verdict it must give, with the rule parameters `parameters.json` gives it.

use std::path::{Path, PathBuf};

use serde_json::Value;

pub struct AnnexBCase {
    /// The file name, `AML-NS-40.pass.json`.
    pub name: String,
    pub control: String,
    pub expect: String,
    /// Rule parameters (name, JSON value).
    pub params: Vec<(String, Value)>,
}

impl AnnexBCase {
    #[cfg(feature = "live")]
    pub fn documents(&self) -> Vec<Value> {
        serde_json::from_str(&std::fs::read_to_string(dir().join(&self.name)).unwrap()).unwrap()
    }
}

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/foundry-cases")
}

/// Every case, sorted by file name.
pub fn annex_b_cases() -> Vec<AnnexBCase> {
    let params: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("parameters.json")).unwrap())
            .unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("AML-"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let (control, expect) = name.trim_end_matches(".json").rsplit_once('.').unwrap();
            let params = params[name.as_str()]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            AnnexBCase {
                control: control.into(),
                expect: expect.into(),
                params,
                name,
            }
        })
        .collect()
}
