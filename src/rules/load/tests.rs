use super::*;

fn load(files: &[(&str, &str)]) -> Result<RuleSet> {
    let sources: Vec<RuleSource> = files
        .iter()
        .map(|(n, t)| RuleSource {
            name: n.to_string(),
            text: t.to_string(),
            builtin: n.starts_with("builtin"),
        })
        .collect();
    RuleSet::load(&sources)
}

fn error(files: &[(&str, &str)]) -> String {
    load(files).unwrap_err().to_string()
}

#[test]
fn a_context_of_another_subject_kind_is_refused() {
    let registry_control = GOOD
        .replace("target: workspace", "target: aml-registry")
        .replace(
            "pass: {field: properties.publicNetworkAccess",
            "pass: {field: $workspace.properties.publicNetworkAccess",
        );
    let e = error(&[("r.yaml", &registry_control)]);
    assert!(
            e.contains("`$workspace` belongs to the workspace subject; target aml-registry is evaluated per registry"),
            "{e}"
        );
    let own = GOOD.replace("target: workspace", "target: aml-registry-storage").replace(
            "pass: {field: properties.publicNetworkAccess",
            "applies: {field: $aml-registry.properties.publicNetworkAccess, equals: Disabled}\n    pass: {field: properties.publicNetworkAccess",
        );
    load(&[("r.yaml", &own)]).unwrap();
}

const GOOD: &str = "category: network
parameters:
  zones: [a, b]
controls:
  - id: X-01
    title: t
    severity: high
    level: 1
    mode: automated
    target: workspace
    pass: {field: properties.publicNetworkAccess, equals: Disabled, missing: Enabled}
    evidence:
      - {path: properties.publicNetworkAccess, expected: Disabled}
    remediation: r
  - id: X-02
    title: t
    severity: low
    level: 2
    mode: manual
    target: workspace
    guidance: g
";

#[test]
fn loads_a_good_file() {
    let set = load(&[("builtin/network.yaml", GOOD)]).unwrap();
    assert_eq!(set.controls.len(), 2);
    assert_eq!(set.controls[0].origin, "builtin/network.yaml:5:5");
    assert_eq!(set.controls[0].category_title, "Network security");
    assert_eq!(set.params["zones"], serde_json::json!(["a", "b"]));
}

#[test]
fn docs_are_one_https_url_or_an_error_at_their_line() {
    let with = |docs: &str| {
        GOOD.replace(
            "    guidance: g\n",
            &format!("    guidance: g\n    docs: {docs}\n"),
        )
    };
    let set = load(&[("n.yaml", &with("https://learn.microsoft.com/x"))]).unwrap();
    assert_eq!(
        set.controls[1].docs.as_deref(),
        Some("https://learn.microsoft.com/x")
    );
    for bad in [
        "http://example.com",
        "'https://a b'",
        "learn.microsoft.com/x",
    ] {
        let e = error(&[("n.yaml", &with(bad))]);
        assert!(
            e.starts_with("n.yaml:22:11: X-02: `docs` must be one https URL"),
            "{e}"
        );
    }
}

#[test]
fn benchmark_ids_must_be_the_benchmarks_or_an_error_at_their_line() {
    let with = |mcsb: &str| {
        GOOD.replace(
            "    guidance: g\n",
            &format!("    guidance: g\n    references:\n      mcsb: [NS-2, {mcsb}]\n"),
        )
    };
    let set = load(&[("n.yaml", &with("DP-8"))]).unwrap();
    assert_eq!(set.controls[1].references.mcsb, ["NS-2", "DP-8"]);
    for bad in ["NS-2?", "NS-11", "ns-2"] {
        let e = error(&[("n.yaml", &with(bad))]);
        assert!(
            e.starts_with(&format!(
                "n.yaml:23:20: X-02: `{bad}` is not a Microsoft cloud security benchmark v1 control"
            )),
            "{e}"
        );
    }
}

#[test]
fn user_controls_replace_builtins_and_params_override() {
    let user = "category: network\nparameters: {zones: [c]}\ncontrols:\n  - id: X-02\n    title: mine\n    severity: low\n    level: 1\n    mode: manual\n    target: workspace\n    guidance: g\n";
    let set = load(&[("builtin/network.yaml", GOOD), ("mine.yaml", user)]).unwrap();
    assert_eq!(set.controls[1].title, "mine");
    assert_eq!(set.params["zones"], serde_json::json!(["c"]));
    assert_eq!(set.notices.len(), 2, "{:?}", set.notices);
}

#[test]
fn every_bad_rule_is_located() {
    assert!(error(&[("r.yaml", "category: network\ncontrols: [\n")]).starts_with("r.yaml:"));
    let unknown_key = GOOD.replace(
        "    title: t\n    severity: high",
        "    title: t\n    severty: high",
    );
    assert!(
        error(&[("r.yaml", &unknown_key)]).starts_with("r.yaml:7:5: unknown field `severty`"),
        "{}",
        error(&[("r.yaml", &unknown_key)])
    );
    assert_eq!(
        error(&[("a.yaml", GOOD), ("b.yaml", GOOD)]),
        "b.yaml:5:5: duplicate control id X-01 (first defined at a.yaml:5:5)\nb.yaml:15:5: duplicate control id X-02 (first defined at a.yaml:15:5)"
    );
    let bad_target = GOOD.replace("target: workspace\n    pass", "target: vm\n    pass");
    assert!(
        error(&[("r.yaml", &bad_target)]).starts_with("r.yaml:10:13: X-01: unknown target `vm`")
    );
    let bad_path = GOOD.replace(
        "field: properties.publicNetworkAccess,",
        "field: 'properties..x',",
    );
    assert!(error(&[("r.yaml", &bad_path)]).starts_with("r.yaml:11:11: X-01: empty segment"));
    let bad_regex = GOOD.replace("equals: Disabled, missing: Enabled", "match: '(unclosed'");
    assert!(error(&[("r.yaml", &bad_regex)]).contains("X-01: invalid regex"));
    let manual_with_pass = GOOD.replace(
        "    guidance: g\n",
        "    guidance: g\n    pass: {field: a, exists: true}\n",
    );
    assert!(
        error(&[("r.yaml", &manual_with_pass)])
            .contains("X-02: a manual control has no `applies` or `pass`")
    );
    let automated_without = GOOD.replace(
        "    pass: {field: properties.publicNetworkAccess, equals: Disabled, missing: Enabled}\n",
        "",
    );
    assert!(
        error(&[("r.yaml", &automated_without)])
            .starts_with("r.yaml:5:5: X-01: an automated control needs a `pass` condition")
    );
    let unknown_param = GOOD.replace("equals: Disabled,", "in: {param: nope},");
    assert_eq!(
        error(&[("r.yaml", &unknown_param)]),
        "r.yaml:11:11: unknown parameter `nope`; declare it under `parameters:`"
    );
    let two_ops = GOOD.replace("equals: Disabled,", "equals: Disabled, exists: true,");
    assert!(error(&[("r.yaml", &two_ops)]).contains("exactly one operator"));
    let context = GOOD.replace("field: properties.publicNetworkAccess,", "field: $vm.x,");
    assert!(error(&[("r.yaml", &context)]).contains("unknown context `$vm`"));
    let bare_count = GOOD.replace(
        "field: properties.publicNetworkAccess, equals: Disabled, missing: Enabled",
        "count: {field: properties}, equals: 1",
    );
    assert!(error(&[("r.yaml", &bare_count)]).contains("must name elements"));
    assert!(error(&[("r.yaml", "category: other\n")]).contains("give it a `title:`"));
}

#[test]
fn yaml_booleans_are_strict() {
    let c = parse_condition("{field: x, equals: no}").unwrap();
    let Condition::Compare(c) = c else { panic!() };
    let Op::Equals(Arg::Literal(v)) = &c.op else {
        panic!()
    };
    assert_eq!(v, &serde_json::json!("no"));
}

#[test]
fn params_can_be_set_from_the_command_line() {
    let mut set = load(&[("builtin/network.yaml", GOOD)]).unwrap();
    set.set_param("zones=[x, y]").unwrap();
    assert_eq!(set.params["zones"], serde_json::json!(["x", "y"]));
    assert!(
        set.set_param("nope=1")
            .unwrap_err()
            .to_string()
            .contains("unknown parameter")
    );
    assert!(set.set_param("zones").is_err());
}
