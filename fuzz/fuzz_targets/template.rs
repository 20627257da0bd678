//! A template (with one expression-heavy resource around the input) expands or fails with a
//! diagnostic: never a panic, never unbounded work.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The input as a whole template, and as one expression inside a minimal one.
    let _ = amlsec::source::template::expand("fuzz.json", text, None, &[], None, amlsec::cloud::Cloud::Public);
    let expression = serde_json::Value::String(format!("[{text}]")).to_string();
    let template = format!(
        r#"{{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "parameters": {{"p": {{"type": "string", "defaultValue": "x"}}}},
            "variables": {{"v": {expression}}},
            "resources": [{{"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2025-12-01",
                           "name": "ws", "location": "westeurope", "properties": {{"description": "[variables('v')]"}}}}]}}"#
    );
    let _ = amlsec::source::template::expand("fuzz.json", &template, None, &[], None, amlsec::cloud::Cloud::Public);
});
