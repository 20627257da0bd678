//! Generated estates for the benchmarks.

/// The hardened example's subscription.
pub const SUBSCRIPTION: &str = "5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a";

/// The `k`th subscription of a generated tenant.
pub fn subscription(k: usize) -> String {
    format!("5b1c8a3e-0d4f-4c7e-9a61-{k:012x}")
}

/// The hardened example copied `n` times, each copy in its own resource group with its own
/// names (and SQL host), as JSON text.
pub fn estate(n: usize) -> String {
    estate_in(n, 0)
}

/// As [`estate`], the copies spread round-robin over `subscriptions` generated subscriptions
/// ([`subscription`]); 0 keeps them all in the example's own.
pub fn estate_in(n: usize, subscriptions: usize) -> String {
    estate_with_hot(n, subscriptions, 0)
}

/// As [`estate_in`], with the first `hot` copies all in the first subscription and the rest
/// round-robin over the others (the hot estate of a tenant with one busy subscription).
pub fn estate_with_hot(n: usize, subscriptions: usize, hot: usize) -> String {
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
            let s = match subscriptions {
                0 => s,
                _ if i < hot => s.replace(SUBSCRIPTION, &subscription(0)),
                1 => s.replace(SUBSCRIPTION, &subscription(0)),
                k if hot > 0 => s.replace(SUBSCRIPTION, &subscription(1 + i % (k - 1))),
                k => s.replace(SUBSCRIPTION, &subscription(i % k)),
            };
            out.push(serde_json::from_str::<serde_json::Value>(&s).unwrap());
        }
    }
    serde_json::to_string(&out).unwrap()
}
