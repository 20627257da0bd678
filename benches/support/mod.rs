//! Generated estates for the benchmarks.

/// The hardened example copied `n` times, each copy in its own resource group with its own
/// names (and SQL host), as JSON text.
pub fn estate(n: usize) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/hardened-workspace.json"
    );
    let docs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::with_capacity(docs.len() * n);
    for i in 0..n {
        for d in &docs {
            let s = d
                .to_string()
                .replace("rg-ml-prod", &format!("rg-ml-{i}"))
                .replace("mlw-hardened", &format!("mlw-{i}"))
                .replace("sql-ml-training", &format!("sql-{i}"));
            out.push(serde_json::from_str::<serde_json::Value>(&s).unwrap());
        }
    }
    serde_json::to_string(&out).unwrap()
}
