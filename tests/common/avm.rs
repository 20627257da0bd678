//! The Azure Verified Modules of tests/data/templates/avm (compiled by Bicep), each with its
//! parameters file, composed the way Bicep compiles a main file that calls them as modules:
//! one inline nested deployment each, inner scope, the module's parameters given.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

pub fn avm_estate() -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/templates/avm");
    let mut modules: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    modules.sort();
    assert_eq!(modules.len(), 7);
    let read = |p: PathBuf| -> Value {
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
    };
    let mut resources = serde_json::Map::new();
    for m in modules {
        let name = m.file_name().unwrap().to_string_lossy().into_owned();
        let template = read(m.join("main.json"));
        let parameters = read(m.join("main.parameters.json"))["parameters"].clone();
        resources.insert(
            name.clone(),
            json!({
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": name,
                "properties": {
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "mode": "Incremental",
                    "parameters": parameters,
                    "template": template
                }
            }),
        );
    }
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "languageVersion": "2.0",
        "contentVersion": "1.0.0.0",
        "resources": resources
    })
}
