//! Fix commands with the names amlsec knows filled in: `az storage account update -g <rg> -n
//! <sa>` becomes `… -g rg-ml-sandbox -n stquickstart` for the storage account that failed.

/// Which placeholders a resource type (its namespace, `""` for any, and type segment) fills
/// with its name and with its id.
const NAMES: &[(&str, &str, &str, &str)] = &[
    ("", "workspaces", "<ws>", "<workspaceId>"),
    ("", "storageaccounts", "<sa>", "<storageId>"),
    ("", "vaults", "<kv>", "<kvId>"),
    (
        "microsoft.containerregistry",
        "registries",
        "<acr>",
        "<acrId>",
    ),
    (
        "microsoft.machinelearningservices",
        "registries",
        "<registry>",
        "<registryId>",
    ),
    ("", "components", "<ai>", "<aiId>"),
    ("", "onlineendpoints", "<endpoint>", "<endpointId>"),
    ("", "batchendpoints", "<endpoint>", "<endpointId>"),
    ("", "serverlessendpoints", "<endpoint>", "<endpointId>"),
    ("", "deployments", "<deployment>", ""),
    ("", "servers", "<server>", ""),
    ("", "privateendpoints", "<pe>", ""),
    ("", "networksecuritygroups", "<nsg>", "<nsgId>"),
    ("", "virtualnetworks", "<vnet>", "<vnetId>"),
    ("", "subnets", "<snet>", "<subnetId>"),
    ("", "privatednszones", "<zone>", ""),
];

/// The remediation text with the placeholders the failing resource (and its workspace) name.
pub fn fill(remediation: &str, resource: &str, workspace: &str) -> String {
    let mut text = remediation.to_string();
    for id in [resource, workspace] {
        text = fill_from(&text, id);
    }
    text
}

fn fill_from(text: &str, id: &str) -> String {
    let segs: Vec<&str> = id.trim().trim_end_matches('/').split('/').collect();
    let mut text = text.to_string();
    let mut replace = |placeholder: &str, value: &str| {
        if !placeholder.is_empty() && !value.is_empty() {
            text = text.replace(placeholder, value);
        }
    };
    if let Some(rg_at) = segs
        .iter()
        .position(|s| s.eq_ignore_ascii_case("resourceGroups"))
        && let Some(rg) = segs.get(rg_at + 1)
    {
        replace("<rg>", rg);
        replace("<rgId>", &segs[..rg_at + 2].join("/"));
        if segs
            .iter()
            .any(|s| s.eq_ignore_ascii_case("privateDnsZones"))
        {
            replace("<zoneRg>", rg);
        }
    }
    // Type/name pairs after each provider namespace: fill each one's placeholders. An
    // extension's id names its parent first (`{vault}/providers/Microsoft.Insights/...`), so
    // the vault's `<kvId>` is filled from a failing diagnostic-settings list too.
    let providers: Vec<usize> = segs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.eq_ignore_ascii_case("providers"))
        .map(|(i, _)| i)
        .collect();
    for (n, &p) in providers.iter().enumerate() {
        let end = providers.get(n + 1).copied().unwrap_or(segs.len());
        let namespace = segs.get(p + 1).unwrap_or(&"").to_ascii_lowercase();
        let mut at = p + 2;
        while at + 1 < end {
            let (kind, name) = (segs[at].to_ascii_lowercase(), segs[at + 1]);
            if let Some((_, _, by_name, by_id)) = NAMES
                .iter()
                .find(|(ns, k, _, _)| *k == kind && (ns.is_empty() || *ns == namespace))
            {
                replace(by_name, name);
                replace(by_id, &segs[..at + 2].join("/"));
            }
            at += 2;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::fill;

    const WS: &str = "/subscriptions/s/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw";

    #[test]
    fn an_extension_fills_its_parents_placeholders() {
        let kv = "/subscriptions/s/resourceGroups/rg-ml/providers/Microsoft.KeyVault/vaults/kv1";
        let diagnostics = format!("{kv}/providers/Microsoft.Insights/diagnosticSettings");
        assert_eq!(
            fill(
                "az monitor diagnostic-settings create --resource <kvId> -n a",
                &diagnostics,
                WS
            ),
            format!("az monitor diagnostic-settings create --resource {kv} -n a")
        );
    }

    #[test]
    fn known_names_are_filled_in_and_unknown_ones_left() {
        let blob = "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default";
        assert_eq!(
            fill(
                "az storage account update -g <rg> -n <sa> --x <region>",
                blob,
                WS
            ),
            "az storage account update -g rg-data -n st1 --x <region>"
        );
        assert_eq!(
            fill(
                "az ml workspace update -g <rg> -n <ws> (<workspaceId>)",
                WS,
                WS
            ),
            format!("az ml workspace update -g rg-ml -n mlw ({WS})")
        );
        // A resource in another group: its group wins, the workspace fills the rest.
        let kv = "/subscriptions/s/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv1";
        assert_eq!(
            fill("-g <rg> --name <kv> for <ws>", kv, WS),
            "-g rg-kv --name kv1 for mlw"
        );
        let endpoint = format!("{WS}/onlineEndpoints/ep1");
        assert_eq!(
            fill(
                "-w <ws> -n <endpoint> --resource <endpointId>",
                &endpoint,
                WS
            ),
            format!("-w mlw -n ep1 --resource {endpoint}")
        );
        let aml_registry = "/subscriptions/s/resourceGroups/rg-r/providers/Microsoft.MachineLearningServices/registries/reg1";
        assert_eq!(
            fill("-n <registry> <acr>", aml_registry, ""),
            "-n reg1 <acr>"
        );
    }
}
