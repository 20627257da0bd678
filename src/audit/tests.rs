use serde_json::{Value, json};

use super::*;
use crate::cloud::Settings;
use crate::documents::{Documents, ReadFailure};
use crate::graph::{self, Subject};
use crate::rules::{Control, RuleSet, RuleSource, Severity};

const WS: &str =
    "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

fn rules(controls: &str) -> RuleSet {
    let text = format!(
        "category: network\nparameters: {{sql_host_suffixes: [.database.windows.net]}}\ncontrols:\n{controls}"
    );
    RuleSet::load(&[RuleSource {
        name: "t.yaml".into(),
        text,
        builtin: true,
    }])
    .unwrap()
}

const NO_PUBLIC_IP: &str = "  - {id: T-01, title: t, severity: high, level: 1, mode: automated, target: compute, remediation: r,
   pass: {field: properties.properties.enableNodePublicIp, equals: false, missing: true},
   evidence: [{path: properties.properties.enableNodePublicIp, expected: 'false'}]}
";

fn compute(name: &str, public_ip: Value) -> Value {
    json!({"id": format!("{WS}/computes/{name}"), "properties": {"computeType": "AmlCompute", "properties": {"enableNodePublicIp": public_ip}}})
}

fn audit_with(
    rules: &RuleSet,
    docs: Vec<Value>,
    failures: Vec<ReadFailure>,
) -> Vec<(Status, Vec<Status>)> {
    let mut d = Documents::default();
    docs.into_iter().for_each(|x| d.insert(x));
    failures.into_iter().for_each(|f| d.record_failure(f));
    let controls: Vec<&Control> = rules.controls.iter().collect();
    run(
        &d,
        &[(graph::workspace_subject(), WS.to_string())],
        rules,
        &controls,
        &Settings::default(),
    )[0]
    .results
    .iter()
    .map(|r| (r.status, r.resources.iter().map(|x| x.status).collect()))
    .collect()
}

#[test]
fn rolls_up_fail_over_pass_with_evidence_per_resource() {
    let rules = rules(NO_PUBLIC_IP);
    let mut d = Documents::default();
    for doc in [
        json!({"id": WS}),
        compute("a", json!(false)),
        compute("b", json!(true)),
        compute("c", Value::Null),
    ] {
        d.insert(doc);
    }
    let controls: Vec<&Control> = rules.controls.iter().collect();
    let ws = run(
        &d,
        &[(graph::workspace_subject(), WS.to_string())],
        &rules,
        &controls,
        &Settings::default(),
    );
    let r = &ws[0].results[0];
    assert_eq!(r.status, Status::Fail);
    assert_eq!(&*r.message, "2 of 3 resources fail");
    let statuses: Vec<Status> = r.resources.iter().map(|x| x.status).collect();
    assert_eq!(statuses, [Status::Pass, Status::Fail, Status::Fail]);
    let first = |i: usize| r.resources[i].evidence.iter().next().unwrap();
    assert_eq!(first(1).actual.value(), json!(true));
    assert_eq!(first(2).actual.value(), Value::Null, "missing is null");
    assert_eq!(first(2).expected, Some("false"));
    assert_eq!(
        first(2).to_string(),
        "properties.properties.enableNodePublicIp = (missing) (expected false)"
    );
}

#[test]
fn roll_up_order_is_fail_error_manual_pass_not_applicable() {
    let sql = "  - {id: T-02, title: t, severity: high, level: 1, mode: automated, target: sql-server, remediation: r,
   pass: {field: properties.publicNetworkAccess, equals: Disabled}}
";
    let rules = rules(sql);
    let conn = |n: &str, host: &str| json!({"id": format!("{WS}/connections/{n}"), "properties": {"category": "AzureSqlDb", "target": host}});
    let server = |n: &str, pna: &str| {
        json!({"id": format!("/subscriptions/s1/resourceGroups/d/providers/Microsoft.Sql/servers/{n}"),
        "properties": {"fullyQualifiedDomainName": format!("{n}.database.windows.net"), "publicNetworkAccess": pna}})
    };
    let base = || {
        vec![
            json!({"id": WS}),
            server("good", "Disabled"),
            server("bad", "Enabled"),
        ]
    };
    let with = |extra: Vec<Value>| {
        let mut v = base();
        v.extend(extra);
        audit_with(&rules, v, vec![])[0].0
    };
    assert_eq!(
        with(vec![conn("g", "good.database.windows.net")]),
        Status::Pass
    );
    assert_eq!(
        with(vec![
            conn("g", "good.database.windows.net"),
            conn("x", "gone.database.windows.net")
        ]),
        Status::Manual
    );
    assert_eq!(
        with(vec![
            conn("b", "bad.database.windows.net"),
            conn("x", "gone.database.windows.net")
        ]),
        Status::Fail
    );
    assert_eq!(
        with(vec![conn("o", "sql.contoso.local")]),
        Status::NotApplicable,
        "not Azure SQL"
    );
    assert_eq!(
        with(vec![]),
        Status::NotApplicable,
        "an absent target never passes"
    );
    let failure = ReadFailure {
        path: "/subscriptions/s1/resourceGroups/d/providers/Microsoft.Sql/servers/good".into(),
        status: Some(403),
        code: None,
        message: String::new(),
        request_id: None,
        unknown: false,
    };
    let mut v = base();
    v.push(conn("g", "good.database.windows.net"));
    v.push(conn("x", "gone.database.windows.net"));
    assert_eq!(
        audit_with(&rules, v, vec![failure])[0],
        (Status::Error, vec![Status::Error, Status::Manual])
    );
}

#[test]
fn applicability_that_needs_a_failed_read_is_error() {
    let pv = "  - {id: T-03, title: t, severity: medium, level: 1, mode: automated, target: defender-pricing(Containers), remediation: r,
   applies: {field: $registry.id, exists: true}, pass: {field: properties.pricingTier, equals: Standard}}
";
    let rules = rules(pv);
    let acr =
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr";
    let ws = json!({"id": WS, "properties": {"containerRegistry": acr}});
    assert_eq!(
        audit_with(&rules, vec![ws.clone()], vec![])[0].0,
        Status::Error,
        "registry referenced, not readable"
    );
    assert_eq!(
        audit_with(&rules, vec![ws, json!({"id": acr})], vec![])[0].0,
        Status::Fail,
        "pricing missing means Free"
    );
    assert_eq!(
        audit_with(&rules, vec![json!({"id": WS})], vec![])[0].0,
        Status::NotApplicable
    );
}

#[test]
fn manual_controls_are_always_manual_and_scores_count_automated_only() {
    let rules = rules(&format!(
        "{NO_PUBLIC_IP}  - {{id: T-09, title: m, severity: low, level: 1, mode: manual, target: registry, guidance: g}}\n"
    ));
    let statuses = audit_with(
        &rules,
        vec![json!({"id": WS}), compute("a", json!(false))],
        vec![],
    );
    assert_eq!(
        statuses[1].0,
        Status::Manual,
        "even though the registry is absent"
    );
    let mut d = Documents::default();
    d.insert(json!({"id": WS}));
    d.insert(compute("a", json!(false)));
    let controls: Vec<&Control> = rules.controls.iter().collect();
    let ws = run(
        &d,
        &[(graph::workspace_subject(), WS.to_string())],
        &rules,
        &controls,
        &Settings::default(),
    );
    let s = Summary::of(&ws[0].results);
    assert_eq!((s.pass, s.manual, s.score), (1, 1, Some(100.0)));
    assert_eq!(Summary::default().score, None);
}

#[test]
fn exit_codes_follow_the_contract() {
    let rules = rules(NO_PUBLIC_IP);
    let controls: Vec<&Control> = rules.controls.iter().collect();
    let code = |docs: Vec<Value>, fail_on: Severity| {
        let mut d = Documents::default();
        docs.into_iter().for_each(|x| d.insert(x));
        exit_code(
            &run(
                &d,
                &[(graph::workspace_subject(), WS.to_string())],
                &rules,
                &controls,
                &Settings::default(),
            ),
            &[],
            Gate::at(fail_on),
        )
    };
    assert_eq!(
        code(
            vec![json!({"id": WS}), compute("a", json!(false))],
            Severity::Low
        ),
        0
    );
    assert_eq!(
        code(
            vec![json!({"id": WS}), compute("a", json!(true))],
            Severity::Low
        ),
        1
    );
    assert_eq!(
        code(
            vec![json!({"id": WS}), compute("a", json!(true))],
            Severity::High
        ),
        1
    );
    assert_eq!(
        code(
            vec![json!({"id": WS}), compute("a", json!(true))],
            Severity::Critical
        ),
        0
    );
    assert_eq!(code(vec![], Severity::Low), 3, "an unreadable workspace");
}

#[test]
fn a_failing_control_outranks_an_incomplete_audit() {
    // T-01 fails on the compute; T-02 needs the storage account, whose read failed.
    let rules = rules(&format!(
        "{NO_PUBLIC_IP}  - {{id: T-02, title: s, severity: low, level: 1, mode: automated, target: storage, remediation: r,
   pass: {{field: properties.minimumTlsVersion, equals: TLS1_2}}}}\n"
    ));
    let controls: Vec<&Control> = rules.controls.iter().collect();
    let storage =
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st";
    let mut d = Documents::default();
    d.insert(json!({"id": WS, "properties": {"storageAccount": storage}}));
    d.insert(compute("a", json!(true)));
    d.record_failure(ReadFailure::bad_reference(storage, "forbidden"));
    let workspaces = run(
        &d,
        &[(graph::workspace_subject(), WS.to_string())],
        &rules,
        &controls,
        &Settings::default(),
    );
    let statuses: Vec<Status> = workspaces[0].results.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Status::Fail, Status::Error]);
    assert_eq!(
        exit_code(&workspaces, &[], Gate::at(Severity::Low)),
        1,
        "1 before 3"
    );
    assert_eq!(
        exit_code(&workspaces, &[], Gate::at(Severity::Critical)),
        3,
        "below --fail-on, the failed read still makes the audit incomplete"
    );
}

#[test]
fn selection_filters_and_rejects_unknown_names() {
    let rules = rules(&format!(
        "{NO_PUBLIC_IP}  - {{id: T-09, title: m, severity: low, level: 2, mode: manual, target: workspace, guidance: g}}\n"
    ));
    let pick = |level, categories: &[&str], controls: &[&str]| {
        Selection {
            level,
            categories: categories.iter().map(|s| s.to_string()).collect(),
            controls: controls.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
        .apply(&rules)
        .map(|c| c.iter().map(|c| c.id.clone()).collect::<Vec<_>>())
    };
    assert_eq!(pick(1, &[], &[]).unwrap(), ["T-01"]);
    assert_eq!(pick(2, &[], &[]).unwrap(), ["T-01", "T-09"]);
    assert_eq!(pick(2, &["NETWORK"], &["t-09"]).unwrap(), ["T-09"]);
    assert!(pick(1, &["nope"], &[]).is_err());
    assert!(pick(1, &[], &["T-99"]).is_err());

    let narrow = |severity: Option<Severity>, skip: &[&str]| {
        Selection {
            level: 2,
            severities: severity.into_iter().collect(),
            skip: skip.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
        .apply(&rules)
        .map(|c| c.iter().map(|c| c.id.clone()).collect::<Vec<_>>())
    };
    assert_eq!(narrow(Some(Severity::High), &[]).unwrap(), ["T-01"]);
    assert_eq!(
        narrow(None, &["t-0*"]).unwrap_err().to_string(),
        "no control matches level 2 together with the --category, --control, --severity and --skip-control given (level-2 controls need --level 2)"
    );
    assert_eq!(narrow(None, &["T-01"]).unwrap(), ["T-09"]);
    assert_eq!(
        narrow(None, &["AML-*"]).unwrap_err().to_string(),
        "--skip-control AML-* matches no control (see `amlsec rules list`)"
    );
}

#[test]
fn subjects_are_found_by_id_or_unique_name() {
    const REG: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/registries/reg";
    let (ws, registry) = (graph::workspace_subject(), graph::registry_subject());
    let mut d = Documents::default();
    d.insert(json!({"id": WS}));
    d.insert(json!({"id": REG}));
    d.record_failure(ReadFailure {
        path: format!("{}2", WS),
        status: Some(404),
        code: None,
        message: String::new(),
        request_id: None,
        unknown: false,
    });
    let all = subjects(&d, &[], &Settings::default()).unwrap();
    assert_eq!(
        all.iter().map(|(s, _)| s.noun.0).collect::<Vec<_>>(),
        ["workspace", "workspace", "registry"],
        "an unreadable workspace is still audited, registries after workspaces"
    );
    let pick = |s: &'static Subject, name: &str| {
        subjects(&d, &[(s, name.to_string())], &Settings::default())
    };
    assert_eq!(pick(ws, "WS").unwrap(), [(ws, WS.to_string())]);
    assert_eq!(
        pick(registry, "reg").unwrap(),
        [(registry, REG.to_string())]
    );
    let e = pick(ws, "other").unwrap_err().to_string();
    assert!(
        e.contains("--workspace other") && e.contains("has: ws, ws2"),
        "{e}"
    );
    let e = pick(registry, "ws").unwrap_err().to_string();
    assert!(e.contains("--registry ws") && e.contains("has: reg"), "{e}");
    assert!(subjects(&Documents::default(), &[], &Settings::default()).is_err());
}

#[test]
fn subjects_audited_on_several_threads_keep_their_order_and_verdicts() {
    let rules = rules(NO_PUBLIC_IP);
    let mut docs = Documents::default();
    let mut subjects = Vec::new();
    // Enough subjects for every core to take a run of them, failing and passing in turn.
    for i in 0..100 {
        let ws = format!("{WS}-{i}");
        docs.insert(json!({"id": ws}));
        docs.insert(json!({"id": format!("{ws}/computes/c"), "properties": {"computeType": "AmlCompute", "properties": {"enableNodePublicIp": i % 3 == 0}}}));
        subjects.push((graph::workspace_subject(), ws));
    }
    let controls: Vec<&Control> = rules.controls.iter().collect();
    let settings = Settings::default();
    let verdicts = |results: Vec<SubjectResult<'_>>| -> Vec<(String, Status)> {
        results
            .iter()
            .map(|s| (s.id.clone(), s.results[0].status))
            .collect()
    };
    let by_kind: Vec<evaluate::OfKind<'_>> = evaluate::kinds_of(&controls);
    let one_thread = verdicts(evaluate::run_part(
        &docs, &subjects, &rules, &by_kind, &settings,
    ));
    let all_cores = verdicts(run(&docs, &subjects, &rules, &controls, &settings));
    assert_eq!(all_cores, one_thread);
    assert_eq!(all_cores.len(), 100);
    assert_eq!(all_cores[3], (format!("{WS}-3"), Status::Fail));
    assert_eq!(all_cores[4], (format!("{WS}-4"), Status::Pass));
}
