//! The expansion of a template's resources into the documents the deployment would leave:
//! copy loops, conditions, child and extension resources, nested deployments and their
//! outputs, and the private endpoint connections a private endpoint implies.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::expr::{self, Eval};
use super::frame::*;
use super::*;
use crate::documents::{Location, Step, member};

/// One expanded resource.
pub(super) struct Deployed {
    pub(super) doc: Value,
    pub(super) unknown: Vec<(Vec<Step>, String)>,
    pub(super) at: Location,
    /// A reference to a resource deployed elsewhere (`existing: true`).
    pub(super) existing: bool,
}

pub(super) struct Expansion<'t> {
    pub(super) here: &'t Here<'t>,
    pub(super) docs: Vec<Deployed>,
    pub(super) notices: Vec<String>,
}

impl Expansion<'_> {
    pub(super) fn template(
        &mut self,
        template: &Value,
        frame: &Frame<'_>,
        at: Vec<Own>,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_NESTING {
            return Err(self.here.error(
                &at,
                &format!("inline deployments nested deeper than {MAX_NESTING}"),
            ));
        }
        let resources_at = with(&at, Own::Key("resources".into()));
        match member(template, "resources") {
            Some(Value::Array(items)) => {
                for (i, r) in items.iter().enumerate() {
                    self.resource(r, frame, with(&resources_at, Own::Index(i)), None, depth)?;
                }
            }
            // languageVersion 2.0: symbolic names, which `reference` and `scope` may use.
            Some(Value::Object(items)) => {
                for (symbol, r) in items {
                    // A resource that is not deployed has no id to refer to; ARM evaluates
                    // neither its name nor its scope (an `existing` key vault of an unset
                    // customer-managed key). One whose id fails here fails where it is deployed.
                    let deployed = member(r, "condition").is_none_or(|c| {
                        frame.view().value(c, &resources_at) != Ok(Value::Bool(false))
                    });
                    if !deployed {
                        continue;
                    }
                    if let Ok(Some(id)) = self.id_of(r, frame, None) {
                        frame
                            .symbols
                            .borrow_mut()
                            .insert(symbol.to_ascii_lowercase(), id);
                    }
                }
                for (symbol, r) in items {
                    self.resource(
                        r,
                        frame,
                        with(&resources_at, Own::Key(symbol.clone())),
                        None,
                        depth,
                    )?;
                }
            }
            _ => {}
        }
        if let Some(e) = frame.problem.borrow_mut().take() {
            return Err(e);
        }
        Ok(())
    }

    pub(super) fn name_and_type(
        &self,
        r: &Value,
        view: &dyn expr::Context,
        at: &[Own],
    ) -> Result<Option<(String, String)>> {
        let mut out = Vec::new();
        for key in ["type", "name"] {
            let raw = member(r, key).cloned().unwrap_or(Value::Null);
            let e = match &raw {
                Value::String(s) => expr::parse_string(s).map_err(|m| {
                    self.here
                        .error(&with(at, Own::Key(key.into())), &m.to_string())
                })?,
                _ => {
                    return Err(self
                        .here
                        .error(at, &format!("a resource without a `{key}` string")));
                }
            };
            match expr::eval(&e, view) {
                Ok(Value::String(s)) => out.push(s),
                Ok(other) => {
                    return Err(self.here.error(
                        &with(at, Own::Key(key.into())),
                        &format!("`{key}` is {other}, not a string"),
                    ));
                }
                Err(Eval::Invalid(m)) => {
                    return Err(self.here.error(&with(at, Own::Key(key.into())), &m));
                }
                Err(Eval::Unknown(_)) => return Ok(None),
            }
        }
        Ok(Some((out[0].clone(), out[1].clone())))
    }

    /// The id of a resource declaration (for symbolic names), when known.
    pub(super) fn id_of(
        &self,
        r: &Value,
        frame: &Frame<'_>,
        parent: Option<(&str, &str)>,
    ) -> Result<Option<String>> {
        if member(r, "copy").is_some() {
            return Ok(None);
        }
        let Some((kind, name)) = self.name_and_type(r, frame, &[])? else {
            return Ok(None);
        };
        Ok(Some(full_id(&frame.scope, parent, &kind, &name, None)))
    }

    pub(super) fn resource(
        &mut self,
        r: &Value,
        frame: &Frame<'_>,
        at: Vec<Own>,
        parent: Option<(&str, &str)>,
        depth: usize,
    ) -> Result<()> {
        if !r.is_object() {
            return Err(self.here.error(&at, "a resource that is not an object"));
        }
        match member(r, "copy") {
            Some(copy) => {
                let copy_at = with(&at, Own::Key("copy".into()));
                let name = member(copy, "name")
                    .and_then(Value::as_str)
                    .unwrap_or("copy")
                    .to_string();
                let count = frame.copy_count(copy, &copy_at)?;
                for i in 0..count {
                    let mut view = frame.view();
                    view.copies.push((name.clone(), i));
                    self.one(r, &view, frame, &at, parent, depth)?;
                }
                Ok(())
            }
            None => self.one(r, &frame.view(), frame, &at, parent, depth),
        }
    }

    pub(super) fn one(
        &mut self,
        r: &Value,
        view: &FrameView<'_, '_>,
        frame: &Frame<'_>,
        at: &[Own],
        parent: Option<(&str, &str)>,
        depth: usize,
    ) -> Result<()> {
        if self.docs.len() >= MAX_RESOURCES {
            return Err(self.here.error(
                at,
                &format!("the template expands to more than {MAX_RESOURCES} resources"),
            ));
        }
        if let Some(c) = member(r, "condition") {
            match view.value(c, &with(at, Own::Key("condition".into()))) {
                Ok(v) if v == Value::Bool(false) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false")) => return Ok(()),
                Ok(_) => {}
                Err(Eval::Unknown(why)) => self.notices.push(format!(
                    "warning: {}: whether this resource is deployed is known only at deployment ({why}); it is audited as deployed",
                    self.here.location(at)
                )),
                Err(Eval::Invalid(m)) => return Err(self.here.error(&with(at, Own::Key("condition".into())), &m)),
            }
        }
        let Some((kind, name)) = self.name_and_type(r, view, at)? else {
            self.notices.push(format!(
                "warning: {}: a resource whose type or name is known only at deployment is not audited",
                self.here.location(at)
            ));
            return Ok(());
        };
        let scope_id = match member(r, "scope") {
            Some(s) => match view.value(s, &with(at, Own::Key("scope".into()))) {
                Ok(Value::String(s)) => Some(expr::Context::symbolic(frame, &s).unwrap_or(s)),
                _ => {
                    self.notices.push(format!(
                        "warning: {}: an extension resource whose scope is known only at deployment is not audited",
                        self.here.location(at)
                    ));
                    return Ok(());
                }
            },
            None => None,
        };
        let id = full_id(&frame.scope, parent, &kind, &name, scope_id.as_deref());
        let (full_kind, full_name) = match parent {
            Some((pk, pn)) => (format!("{pk}/{kind}"), format!("{pn}/{name}")),
            None => (kind.clone(), name.clone()),
        };
        if full_kind.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
            return self.deployment(&id, r, view, frame, at, depth);
        }
        let existing = member(r, "existing").is_some_and(|e| e == &Value::Bool(true));
        let mut doc = Map::new();
        doc.insert("id".into(), json!(id));
        doc.insert(
            "name".into(),
            json!(full_name.rsplit('/').next().unwrap_or_default()),
        );
        doc.insert("type".into(), json!(full_kind));
        let mut unknown = Vec::new();
        if !existing {
            for name in [
                "location",
                "kind",
                "sku",
                "identity",
                "tags",
                "zones",
                "plan",
                "properties",
            ] {
                // ARM reads a template's property names case-insensitively (`Properties`);
                // the location is the key as written.
                let Some((written, raw)) = r
                    .as_object()
                    .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                else {
                    continue;
                };
                let mut path = vec![Step::Key(name.to_string())];
                let v = self.body(
                    raw,
                    view,
                    &with(at, Own::Key(written.clone())),
                    &mut path,
                    &mut unknown,
                )?;
                doc.insert(name.to_string(), v);
            }
        }
        let doc = Value::Object(doc);
        if !existing && full_kind.eq_ignore_ascii_case("Microsoft.Network/virtualNetworks") {
            self.inline_subnets(&doc, &unknown, at);
        }
        self.docs.push(Deployed {
            doc,
            unknown,
            at: self.here.location(at),
            existing,
        });
        // Child resources declared inline: names and types relative to this one.
        if let Some(children) = member(r, "resources").and_then(Value::as_array) {
            let children_at = with(at, Own::Key("resources".into()));
            for (i, c) in children.iter().enumerate() {
                self.resource(
                    c,
                    frame,
                    with(&children_at, Own::Index(i)),
                    Some((&full_kind, &full_name)),
                    depth,
                )?;
            }
        }
        Ok(())
    }

    /// Subnets declared inside a virtual network are resources of their own once deployed
    /// (`{vnet}/subnets/{name}`), which computes and NSG links point at.
    pub(super) fn inline_subnets(
        &mut self,
        vnet: &Value,
        unknown: &[(Vec<Step>, String)],
        at: &[Own],
    ) {
        let vnet_id = vnet["id"].as_str().unwrap_or_default();
        for (i, subnet) in vnet["properties"]["subnets"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(name) = subnet["name"].as_str() else {
                continue;
            };
            let prefix = [
                Step::Key("properties".into()),
                Step::Key("subnets".into()),
                Step::Index(i),
            ];
            let moved = unknown
                .iter()
                .filter(|(p, _)| p.len() > 3 && p[..3].iter().zip(&prefix).all(|(a, b)| a.same(b)))
                .map(|(p, why)| (p[3..].to_vec(), why.clone()))
                .collect();
            let decl_at = with(
                &with(
                    &with(at, Own::Key("properties".into())),
                    Own::Key("subnets".into()),
                ),
                Own::Index(i),
            );
            self.docs.push(Deployed {
                doc: json!({
                    "id": format!("{vnet_id}/subnets/{name}"),
                    "name": name,
                    "type": "Microsoft.Network/virtualNetworks/subnets",
                    "properties": member(subnet, "properties").cloned().unwrap_or(json!({})),
                }),
                unknown: moved,
                at: self.here.location(&decl_at),
                existing: false,
            });
        }
    }

    /// A resource body: every string evaluated; a value known only at deployment becomes
    /// `null` with its place recorded, never a guess.
    pub(super) fn body(
        &self,
        raw: &Value,
        view: &FrameView<'_, '_>,
        at: &[Own],
        path: &mut Vec<Step>,
        unknown: &mut Vec<(Vec<Step>, String)>,
    ) -> Result<Value> {
        Ok(match raw {
            Value::String(_) => match view.value(raw, at) {
                Ok(v) => v,
                Err(Eval::Unknown(why)) => {
                    unknown.push((path.clone(), why));
                    Value::Null
                }
                Err(Eval::Invalid(m)) => return Err(self.here.error(at, &m)),
            },
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    out.push(self.body(v, view, &with(at, Own::Index(i)), path, unknown)?);
                    path.pop();
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    if k == "copy" && v.is_array() {
                        // Property iteration: `copy: [{name, count, input}]` makes arrays.
                        for (i, c) in v.as_array().into_iter().flatten().enumerate() {
                            let c_at = with(&with(at, Own::Key("copy".into())), Own::Index(i));
                            let name = member(c, "name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string();
                            let count = view.frame.copy_count(c, &c_at)?;
                            let input = member(c, "input").cloned().unwrap_or(Value::Null);
                            let mut items = Vec::new();
                            path.push(Step::Key(name.clone()));
                            for n in 0..count {
                                let mut inner = FrameView {
                                    frame: view.frame,
                                    copies: view.copies.clone(),
                                };
                                inner.copies.push((name.clone(), n));
                                path.push(Step::Index(n as usize));
                                items.push(self.body(
                                    &input,
                                    &inner,
                                    &with(&c_at, Own::Key("input".into())),
                                    path,
                                    unknown,
                                )?);
                                path.pop();
                            }
                            path.pop();
                            out.insert(name, Value::Array(items));
                        }
                        continue;
                    }
                    path.push(Step::Key(k.clone()));
                    out.insert(
                        k.clone(),
                        self.body(v, view, &with(at, Own::Key(k.clone())), path, unknown)?,
                    );
                    path.pop();
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    /// An inline nested deployment: its template expanded in its own scope; a linked one is
    /// not read, and said so.
    pub(super) fn deployment(
        &mut self,
        id: &str,
        r: &Value,
        view: &FrameView<'_, '_>,
        frame: &Frame<'_>,
        at: &[Own],
        depth: usize,
    ) -> Result<()> {
        let props = member(r, "properties").cloned().unwrap_or(Value::Null);
        let Some(template) = member(&props, "template") else {
            self.notices.push(format!(
                "warning: {}: a linked template (templateLink) is not read; the resources it deploys are not audited",
                self.here.location(at)
            ));
            return Ok(());
        };
        let mut scope = frame.scope.clone();
        for (key, slot) in [("resourceGroup", 0), ("subscriptionId", 1)] {
            if let Some(v) = r.get(key) {
                match view.value(v, &with(at, Own::Key(key.into()))) {
                    Ok(Value::String(s)) if slot == 0 => scope.resource_group = s,
                    Ok(Value::String(s)) => scope.subscription = s,
                    _ => {
                        self.notices.push(format!(
                            "warning: {}: a deployment whose target scope is known only at deployment is not audited",
                            self.here.location(at)
                        ));
                        return Ok(());
                    }
                }
            }
        }
        let template_at = with(
            &with(at, Own::Key("properties".into())),
            Own::Key("template".into()),
        );
        let inner = member(&props, "expressionEvaluationOptions")
            .and_then(|o| member(o, "scope"))
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        if inner {
            // Inner scope: the nested template's own parameters, given by the outer one.
            let mut values = HashMap::new();
            let params_at = with(
                &with(at, Own::Key("properties".into())),
                Own::Key("parameters".into()),
            );
            for (name, entry) in member(&props, "parameters")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let entry_at = with(
                    &with(&params_at, Own::Key(name.clone())),
                    Own::Key("value".into()),
                );
                // Bicep writes an optional module parameter as one expression whose value is
                // the `{"value": ...}` object: `[if(empty(..), createObject('value', ..), ..)]`.
                let given = match entry {
                    Value::String(_) => {
                        let whole_at = with(&params_at, Own::Key(name.clone()));
                        match view.value(entry, &whole_at) {
                            Ok(object) => match member(&object, "value") {
                                Some(v) => Some(Ok(v.clone())),
                                None if member(&object, "reference").is_some() => {
                                    Some(Err(Eval::Unknown(
                                        "a Key Vault secret, read at deployment time".into(),
                                    )))
                                }
                                None => Some(Err(Eval::Invalid(format!(
                                    "parameter {name} is given as {object}, not an object with a `value`"
                                )))),
                            },
                            Err(e) => Some(Err(e)),
                        }
                    }
                    _ => member(entry, "value").map(|v| view.value(v, &entry_at)),
                };
                let v = match given {
                    Some(Ok(v)) => Given::Value(v),
                    Some(Err(Eval::Unknown(why))) => Given::Unknown(why),
                    Some(Err(Eval::Invalid(m))) => return Err(self.here.error(&entry_at, &m)),
                    None => continue,
                };
                values.insert(name.to_ascii_lowercase(), v);
            }
            let mut notices = Vec::new();
            let nested = Frame::new(
                template,
                &values,
                template_at.clone(),
                scope,
                frame.here,
                &mut notices,
            )?;
            self.notices.extend(notices);
            self.template(template, &nested, template_at.clone(), depth + 1)?;
            self.record_outputs(id, template, &nested, &template_at);
            Ok(())
        } else if scope.id() != frame.scope.id() {
            // Outer scope into another resource group: its `resourceGroup()` would be
            // evaluated in the outer one, so its ids cannot be trusted.
            self.notices.push(format!(
                "warning: {}: an outer-scope deployment to another resource group is not audited; use expressionEvaluationOptions.scope inner",
                self.here.location(at)
            ));
            Ok(())
        } else {
            // Outer scope (the default): the nested template sees the outer parameters.
            self.template(template, frame, template_at.clone(), depth + 1)?;
            self.record_outputs(id, template, frame, &template_at);
            Ok(())
        }
    }

    /// A nested deployment's outputs, evaluated where its template is, for the
    /// `reference(...).outputs` of the deployments after it.
    pub(super) fn record_outputs(&self, id: &str, template: &Value, frame: &Frame<'_>, at: &[Own]) {
        let outputs_at = with(at, Own::Key("outputs".into()));
        let mut out = HashMap::new();
        for (name, def) in member(template, "outputs")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let raw = member(def, "value").cloned().unwrap_or(Value::Null);
            let value_at = with(
                &with(&outputs_at, Own::Key(name.clone())),
                Own::Key("value".into()),
            );
            out.insert(
                name.to_ascii_lowercase(),
                frame.view().value(&raw, &value_at),
            );
        }
        self.here.outputs.borrow_mut().insert(arm_id::key(id), out);
    }

    pub(super) fn into_documents(self) -> Documents {
        let mut docs = Documents::default();
        let mut deployment = Deployment::default();
        let mut deployed: Vec<Deployed> = Vec::new();
        for d in self.docs {
            if d.existing {
                continue;
            }
            deployed.push(d);
        }
        synthesize_private_endpoint_connections(&mut deployed);
        let kinds: HashSet<String> = crate::graph::SUBJECTS
            .iter()
            .map(|s| s.resource_type.to_ascii_lowercase())
            .collect();
        let mut keys: HashSet<String> = HashSet::new();
        for d in &deployed {
            let id = d.doc["id"].as_str().unwrap_or_default().to_string();
            keys.insert(arm_id::key(&id));
        }
        for d in deployed {
            let id = d.doc["id"].as_str().unwrap_or_default().to_string();
            let key = arm_id::key(&id);
            // A child of a subject the template does not deploy (a compute added to an existing
            // workspace): that subject is audited, its own settings unknown.
            let mut at = key.clone();
            while let Some(parent) = parent_resource(&at) {
                let is_subject = arm_id::derive_type(&parent)
                    .is_some_and(|t| kinds.contains(&t.to_ascii_lowercase()));
                if is_subject && !keys.contains(&parent) {
                    docs.record_failure(ReadFailure::unknown(
                        &id_case(&id, &parent),
                        "referenced by the template, not deployed by it",
                    ));
                }
                at = parent;
            }
            deployment.deployed.insert(key.clone());
            deployment.declared_at.insert(key.clone(), d.at);
            if !d.unknown.is_empty() {
                deployment.unknown.insert(key, d.unknown);
            }
            docs.insert(d.doc);
        }
        docs.set_deployment(deployment);
        docs
    }
}

/// A private endpoint the template deploys gives the resource it points at (deployed by the
/// template too) a connection: `Approved` for `privateLinkServiceConnections`, `Pending` for
/// manual ones — the deployer creates both sides.
pub(super) fn synthesize_private_endpoint_connections(deployed: &mut [Deployed]) {
    let mut links: Vec<(String, String, String, &'static str)> = Vec::new();
    for d in deployed.iter() {
        if !d.doc["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Network/privateEndpoints"))
        {
            continue;
        }
        let pe = d.doc["id"].as_str().unwrap_or_default().to_string();
        for (member, status) in [
            ("privateLinkServiceConnections", "Approved"),
            ("manualPrivateLinkServiceConnections", "Pending"),
        ] {
            for c in d.doc["properties"][member].as_array().into_iter().flatten() {
                if let Some(target) = c["properties"]["privateLinkServiceId"].as_str() {
                    let name = c["name"].as_str().unwrap_or("connection").to_string();
                    links.push((arm_id::key(target), pe.clone(), name, status));
                }
            }
        }
    }
    for (target, pe, name, status) in links {
        let Some(d) = deployed.iter_mut().find(|d| {
            d.doc["id"]
                .as_str()
                .is_some_and(|i| arm_id::key(i) == target)
        }) else {
            continue;
        };
        let registry = d.doc["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(crate::graph::AML_REGISTRY));
        let (list, state) = if registry {
            (
                "registryPrivateEndpointConnections",
                "registryPrivateLinkServiceConnectionState",
            )
        } else {
            (
                "privateEndpointConnections",
                "privateLinkServiceConnectionState",
            )
        };
        let id = format!(
            "{}/privateEndpointConnections/{name}",
            d.doc["id"].as_str().unwrap_or_default()
        );
        let connection = json!({"id": id, "name": name, "properties": {
            "privateEndpoint": {"id": pe},
            state: {"status": status, "description": "created with the private endpoint by the template"},
        }});
        if !d.doc["properties"].is_object() {
            d.doc["properties"] = json!({});
        }
        match d.doc["properties"][list].as_array_mut() {
            Some(items) => items.push(connection),
            None => d.doc["properties"][list] = json!([connection]),
        }
    }
}
