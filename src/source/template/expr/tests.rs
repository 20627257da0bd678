use super::*;
use std::collections::BTreeSet;

struct Cx;
impl Context for Cx {
    fn parameter(&self, name: &str) -> Outcome {
        match name {
            "name" => Ok(json!("ml")),
            "n" => Ok(json!(3)),
            "flag" => Ok(json!(true)),
            _ => invalid(format!("no parameter {name}")),
        }
    }
    fn variable(&self, name: &str) -> Outcome {
        match name {
            "list" => Ok(json!(["a", "b"])),
            _ => invalid(format!("no variable {name}")),
        }
    }
    fn copy_index(&self, _: Option<&str>) -> Result<i64, Eval> {
        Ok(2)
    }
    fn subscription_id(&self) -> &str {
        "sub"
    }
    fn resource_group(&self) -> &str {
        "rg"
    }
    fn location(&self) -> &str {
        "westeurope"
    }
    fn symbolic(&self, _: &str) -> Option<String> {
        None
    }
    fn deployment_output(&self, deployment: &str, output: &str) -> Option<Outcome> {
        (deployment == "dep" && output == "id").then(|| Ok(json!("/x")))
    }
    fn environment(&self) -> Value {
        crate::cloud::Cloud::Public.environment()
    }
}

fn ev(text: &str) -> Outcome {
    eval(&parse_string(text)?, &Cx)
}

#[test]
fn every_function_real_templates_use() {
    let cases = [
        ("[concat('a', parameters('name'), 'b')]", json!("amlb")),
        (
            "[concat(variables('list'), createArray('c'))]",
            json!(["a", "b", "c"]),
        ),
        ("[format('{0}-{1}', parameters('name'), 7)]", json!("ml-7")),
        ("[toLower('AbC')]", json!("abc")),
        ("[toUpper('abc')]", json!("ABC")),
        (
            "[if(parameters('flag'), 'yes', reference('x'))]",
            json!("yes"),
        ),
        ("[equals('Enabled', 'enabled')]", json!(true)),
        ("[not(equals(1, 2))]", json!(true)),
        ("[and(true, or(false, true))]", json!(true)),
        ("[empty('')]", json!(true)),
        ("[empty(variables('list'))]", json!(false)),
        (
            "[union(createObject('a', 1), createObject('b', 2))]",
            json!({"a": 1, "b": 2}),
        ),
        ("[createObject('k', 'v').k]", json!("v")),
        ("[split('a/b/c', '/')]", json!(["a", "b", "c"])),
        ("[last(split('a/b/c', '/'))]", json!("c")),
        ("[first(variables('list'))]", json!("a")),
        ("[replace('a-b', '-', '')]", json!("ab")),
        ("[contains('Hello', 'ELL')]", json!(true)),
        ("[contains(variables('list'), 'b')]", json!(true)),
        ("[length(variables('list'))]", json!(2)),
        ("[string(parameters('n'))]", json!("3")),
        ("[int('42')]", json!(42)),
        ("[bool('true')]", json!(true)),
        ("[json('{\"a\": [1]}').a[0]]", json!(1)),
        ("[variables('list')[1]]", json!("b")),
        ("[copyIndex(1)]", json!(3)),
        ("[add(parameters('n'), 1)]", json!(4)),
        ("[substring('abcdef', 1, 3)]", json!("bcd")),
        ("[take('abcdef', 2)]", json!("ab")),
        ("[coalesce(null(), 'x')]", json!("x")),
        ("[range(1, 3)]", json!([1, 2, 3])),
        ("[padLeft('7', 3, '0')]", json!("007")),
        ("[base64('ls')]", json!("bHM=")),
        (
            "[reference('dep', '2022-09-01').outputs.id.value]",
            json!("/x"),
        ),
        ("[base64('abc')]", json!("YWJj")),
        ("[base64('a')]", json!("YQ==")),
        ("[resourceGroup().name]", json!("rg")),
        ("[subscription().subscriptionId]", json!("sub")),
        (
            "[resourceId('Microsoft.Storage/storageAccounts', 'st')]",
            json!(
                "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
            ),
        ),
        (
            "[resourceId('other', 'Microsoft.MachineLearningServices/workspaces/computes', 'ws', 'ci')]",
            json!(
                "/subscriptions/sub/resourceGroups/other/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/ci"
            ),
        ),
        (
            "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc')]",
            json!("/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/abc"),
        ),
        (
            "[extensionResourceId('/subscriptions/s/resourceGroups/r', 'Microsoft.Authorization/locks', 'l')]",
            json!("/subscriptions/s/resourceGroups/r/providers/Microsoft.Authorization/locks/l"),
        ),
        ("[[literal]", json!("[literal]")),
        ("plain", json!("plain")),
        ("[concat('it''s', '')]", json!("it's")),
    ];
    for (text, want) in cases {
        assert_eq!(ev(text), Ok(want), "{text}");
    }
    let u = ev("[uniqueString(resourceGroup().id)]").unwrap();
    assert_eq!(u.as_str().unwrap().len(), 13);
    assert_eq!(
        u,
        ev("[uniqueString(resourceGroup().id)]").unwrap(),
        "deterministic"
    );
    let g = ev("[guid('a', 'b')]").unwrap();
    assert_eq!(g.as_str().unwrap().len(), 36);
}

#[test]
fn deployment_time_values_are_unknown_and_mistakes_invalid() {
    for text in [
        "[reference('ws').principalId]",
        "[listKeys('st', '2023-01-01').keys[0].value]",
        "[utcNow()]",
        "[concat('a', reference('x'))]",
        "[myns.myfunc('a')]",
    ] {
        assert!(matches!(ev(text), Err(Eval::Unknown(_))), "{text}");
    }
    for text in [
        "[concat('a']",
        "[parameters('missing')]",
        "[if(true, 'a')]",
        "[int('x')]",
        "[range(0, 100000000)]",
        "[variables('list')[5]]",
        "[bogus]",
    ] {
        assert!(
            matches!(ev(text), Err(Eval::Invalid(_))),
            "{text}: {:?}",
            ev(text)
        );
    }
    let deep = format!("[{}'a'{}]", "concat(".repeat(100), ")".repeat(100));
    assert!(parse_string(&deep).is_err());
}

#[test]
fn lambda_functions_and_try_get_as_bicep_compiles_them() {
    let cases = [
        (
            "[map(createArray(1, 2), lambda('x', mul(lambdaVariables('x'), 10)))]",
            json!([10, 20]),
        ),
        (
            "[map(createArray('a', 'b'), lambda('x', 'i', lambdaVariables('i')))]",
            json!([0, 1]),
        ),
        (
            "[filter(createArray(1, 2, 3), lambda('x', greater(lambdaVariables('x'), 1)))]",
            json!([2, 3]),
        ),
        (
            "[reduce(createArray(1, 2, 3), 0, lambda('cur', 'next', add(lambdaVariables('cur'), lambdaVariables('next'))))]",
            json!(6),
        ),
        (
            "[sort(createArray(3, 1, 2), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]",
            json!([1, 2, 3]),
        ),
        (
            "[toObject(createArray('a', 'b'), lambda('x', lambdaVariables('x')), lambda('x', true()))]",
            json!({"a": true, "b": true}),
        ),
        (
            "[mapValues(createObject('a', 1), lambda('v', add(lambdaVariables('v'), 1)))]",
            json!({"a": 2}),
        ),
        (
            "[groupBy(createArray('ab', 'ac', 'b'), lambda('x', substring(lambdaVariables('x'), 0, 1)))]",
            json!({"a": ["ab", "ac"], "b": ["b"]}),
        ),
        // Nested lambdas see the outer one's variables.
        (
            "[map(createArray(1), lambda('x', map(createArray(2), lambda('y', add(lambdaVariables('x'), lambdaVariables('y'))))))]",
            json!([[3]]),
        ),
        // What Bicep compiles `managedIdentities.?userAssignedResourceIds` into.
        (
            "[reduce(map(coalesce(tryGet(createObject('ids', createArray('/u1')), 'ids'), createArray()), lambda('id', createObject(format('{0}', lambdaVariables('id')), createObject()))), createObject(), lambda('cur', 'next', union(lambdaVariables('cur'), lambdaVariables('next'))))]",
            json!({"/u1": {}}),
        ),
        (
            "[tryGet(createObject('a', createObject('B', 1)), 'a', 'b')]",
            json!(1),
        ),
        ("[tryGet(createObject('a', 1), 'missing')]", Value::Null),
        ("[tryGet(null(), 'a')]", Value::Null),
        ("[tryGet(createArray(5, 6), 1)]", json!(6)),
        (
            "[shallowMerge(createArray(createObject('a', 1, 'b', createObject('x', 1)), createObject('b', 2)))]",
            json!({"a": 1, "b": 2}),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(ev(text), Ok(want), "{text}");
    }
    for bad in [
        "[lambdaVariables('x')]",
        "[map(createArray(1), 'x')]",
        "[map(createArray(1), lambda('x', 'y', 'z', 1))]",
        "[reduce(createArray(1), lambda('a', 'b', 1))]",
        "[map(createObject('a', 1), lambda('x', 1))]",
    ] {
        assert!(
            matches!(ev(bad), Err(Eval::Invalid(_))),
            "{bad}: {:?}",
            ev(bad)
        );
    }
}

/// Every function Microsoft documents for ARM templates is evaluated, but those whose value
/// only the deployment knows (marked `*` in the list), which are `unknown`.
#[test]
fn every_documented_deterministic_function_is_evaluated() {
    let list = include_str!("../../../../tests/data/templates/arm-template-functions.txt");
    let (mut evaluated, mut at_deployment) = (BTreeSet::new(), BTreeSet::new());
    for line in list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (_, names) = line.split_once(':').unwrap();
        for name in names.split_whitespace() {
            match name.strip_suffix('*') {
                Some(n) => at_deployment.insert(n.to_string()),
                None => evaluated.insert(name.to_string()),
            };
        }
    }
    // Called without arguments: a value or an argument error, never "not evaluated".
    let outcome = |n: &str| call(n, &[], &Cx);
    for name in &evaluated {
        match outcome(name) {
            Err(Eval::Unknown(why)) => panic!("{name}() is not evaluated: {why}"),
            Ok(_) | Err(Eval::Invalid(_)) => {}
        }
    }
    for name in &at_deployment {
        assert!(
            matches!(outcome(name), Err(Eval::Unknown(ref w)) if w.contains("deployment")),
            "{name}() is known only at deployment"
        );
    }
    assert_eq!((evaluated.len(), at_deployment.len()), (94, 11));
}

#[test]
fn string_array_object_cidr_and_date_functions_as_documented() {
    let cases = [
        ("[array('a')]", json!(["a"])),
        ("[indexFromEnd(createArray(1, 2, 3), 1)]", json!(3)),
        ("[tryIndexFromEnd(createArray(1), 5)]", Value::Null),
        (
            "[intersection(createArray('a', 'b', 'c'), createArray('b', 'c', 'd'))]",
            json!(["b", "c"]),
        ),
        (
            "[intersection(createObject('a', 1, 'b', 2), createObject('a', 1, 'b', 3))]",
            json!({"a": 1}),
        ),
        ("[float('1.5')]", json!(1.5)),
        (
            "[items(createObject('b', 2, 'a', 1))]",
            json!([{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
        ),
        (
            "[objectKeys(createObject('a', 1, 'b', 2))]",
            json!(["a", "b"]),
        ),
        ("[join(createArray('a', 'b'), ',')]", json!("a,b")),
        (
            "[base64ToString('b25lLCB0d28sIHRocmVl')]",
            json!("one, two, three"),
        ),
        ("[base64ToJson(base64('{\"a\": 1}'))]", json!({"a": 1})),
        (
            "[dataUri('Hello')]",
            json!("data:text/plain;charset=utf8;base64,SGVsbG8="),
        ),
        (
            "[dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')]",
            json!("Hello, World!"),
        ),
        (
            "[uri('http://contoso.com/resources/', 'nested/azuredeploy.json')]",
            json!("http://contoso.com/resources/nested/azuredeploy.json"),
        ),
        (
            "[uri('http://contoso.com/resources/azuredeploy.json', 'nested.json')]",
            json!("http://contoso.com/resources/nested.json"),
        ),
        (
            "[uriComponent('http://contoso.com/resources/nested/azuredeploy.json')]",
            json!("http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json"),
        ),
        (
            "[uriComponentToString('http%3A%2F%2Fcontoso.com')]",
            json!("http://contoso.com"),
        ),
        (
            "[parseCidr('10.144.0.0/20')]",
            json!({"network": "10.144.0.0", "netmask": "255.255.240.0", "broadcast": "10.144.15.255", "firstUsable": "10.144.0.1", "lastUsable": "10.144.15.254", "cidr": 20}),
        ),
        (
            "[parseCidr('fdad:3236:5555::/48').network]",
            json!("fdad:3236:5555::"),
        ),
        (
            "[cidrSubnet('10.144.0.0/20', 24, 3)]",
            json!("10.144.3.0/24"),
        ),
        ("[cidrHost('10.144.3.0/24', 0)]", json!("10.144.3.1")),
        (
            "[dateTimeFromEpoch(1683040573)]",
            json!("2023-05-02T15:16:13Z"),
        ),
        (
            "[dateTimeToEpoch('2023-05-02T15:16:13Z')]",
            json!(1683040573),
        ),
        (
            "[dateTimeAdd('2020-04-07 14:53:14Z', 'P3Y')]",
            json!("2023-04-07T14:53:14Z"),
        ),
        (
            "[managementGroupResourceId('mg1', 'Microsoft.Authorization/policyDefinitions', 'p')]",
            json!(
                "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/policyDefinitions/p"
            ),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(ev(text), Ok(want), "{text}");
    }
    for bad in [
        "[indexFromEnd(createArray(1), 2)]",
        "[cidrSubnet('10.0.0.0/24', 16, 0)]",
        "[cidrSubnet('10.0.0.0/24', 26, 4)]",
        "[cidrHost('10.0.0.0/30', 2)]",
        "[parseCidr('10.0.0.0/33')]",
        "[base64ToString('***')]",
        "[dateTimeAdd('2020-04-07', 'three years')]",
        "[uri('relative', 'x')]",
    ] {
        assert!(
            matches!(ev(bad), Err(Eval::Invalid(_))),
            "{bad}: {:?}",
            ev(bad)
        );
    }
}
