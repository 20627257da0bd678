//! Every target kind the graph declares ([`LINKS`]), and the `const fn`s that declare the
//! same kind of target for each subject kind (the lists read at a subject's scope, approved
//! private endpoints and their DNS zones, a Foundry account's children).

use super::*;

const DIAGNOSTIC_SETTINGS: &str = "Microsoft.Insights/diagnosticSettings";
const LOG_DESTINATION_NEEDS: &[&str] = &[
    "diagnostic-settings(workspace)",
    "diagnostic-settings(storage-blob-service)",
    "diagnostic-settings(keyvault)",
    "diagnostic-settings(registry)",
    "subscription-diagnostic-settings",
    "insights",
];

// The lists read at a scope of the audited subject (its id, resource group or subscription),
// the same for every kind of subject: each kind declares its own, rooted at its own link.

const fn subscription_diagnostic_settings(name: &'static str, needs: &'static str) -> Link {
    Link {
        resource_type: DIAGNOSTIC_SETTINGS,
        api_version: api::DIAGNOSTICS,
        ..link(
            name,
            needs,
            Find::ScopeList {
                scope: Scope::Subscription,
                path: "providers/Microsoft.Insights/diagnosticSettings",
                at_scope: false,
                shape: Shape::List,
            },
        )
    }
}

const fn defender_pricing(name: &'static str, needs: &'static str) -> Link {
    Link {
        resource_type: "Microsoft.Security/pricings",
        api_version: api::PRICINGS,
        arg: Arg::Name("PLAN"),
        facts: PRICING_FACTS,
        ..link(
            name,
            needs,
            Find::ScopeList {
                scope: Scope::Subscription,
                path: "providers/Microsoft.Security/pricings",
                at_scope: false,
                shape: Shape::PricingPlan,
            },
        )
    }
}

const fn role_assignments(name: &'static str, needs: &'static str) -> Link {
    Link {
        resource_type: "Microsoft.Authorization/roleAssignments",
        api_version: api::ROLES,
        facts: ROLE_ASSIGNMENT_FACTS,
        ..link(
            name,
            needs,
            Find::ScopeList {
                scope: Scope::Workspace,
                path: "providers/Microsoft.Authorization/roleAssignments",
                at_scope: true,
                shape: Shape::RoleAssignments,
            },
        )
    }
}

const fn role_definitions(name: &'static str, needs: &'static str) -> Link {
    Link {
        absent: "no role assignments",
        resource_type: "Microsoft.Authorization/roleDefinitions",
        api_version: api::ROLES,
        what: "role assignments",
        ..link(
            name,
            needs,
            Find::References {
                path: "value[*].properties.roleDefinitionId",
                when: None,
                id: "",
                read: true,
            },
        )
    }
}

/// `facts`: `enforced`, and `definitions` computed from the subject's initiatives.
const fn policy_assignments(
    name: &'static str,
    needs: &'static str,
    facts: &'static [Fact],
) -> Link {
    Link {
        resource_type: "Microsoft.Authorization/policyAssignments",
        api_version: api::POLICY,
        facts,
        ..link(
            name,
            needs,
            Find::ScopeList {
                scope: Scope::ResourceGroup,
                path: "providers/Microsoft.Authorization/policyAssignments",
                at_scope: true,
                shape: Shape::PolicyAssignments,
            },
        )
    }
}

const fn policy_set_definitions(name: &'static str, needs: &'static str) -> Link {
    Link {
        absent: "no initiative is assigned",
        resource_type: "Microsoft.Authorization/policySetDefinitions",
        api_version: api::POLICY,
        what: "initiative assigned",
        ..link(
            name,
            needs,
            Find::References {
                path: "value[*].properties.policyDefinitionId",
                when: None,
                id: "",
                read: true,
            },
        )
    }
}

const fn locks(name: &'static str, needs: &'static str) -> Link {
    Link {
        resource_type: "Microsoft.Authorization/locks",
        api_version: api::LOCKS,
        facts: LOCK_FACTS,
        ..link(
            name,
            needs,
            Find::ScopeList {
                scope: Scope::Subscription,
                path: "providers/Microsoft.Authorization/locks",
                at_scope: true,
                shape: Shape::Locks,
            },
        )
    }
}

const PRICING_FACTS: &[Fact] = &[computed("planMissing", &[])];
const ROLE_ASSIGNMENT_FACTS: &[Fact] = &[
    computed("scopeLevel", &[]),
    computed("roleDefinitionGuid", &[]),
];
const LOCK_FACTS: &[Fact] = &[computed("scope", &[])];
const DNS_ZONE_FACTS: &[Fact] = &[computed("privateEndpointVnetIds", &[])];
// Initiatives are expanded into their members' effects.
const WORKSPACE_POLICY_FACTS: &[Fact] = &[
    computed("enforced", &[]),
    computed("definitions", &["policy-set-definition"]),
];
const FOUNDRY_POLICY_FACTS: &[Fact] = &[
    computed("enforced", &[]),
    computed("definitions", &["foundry-policy-set-definition"]),
];

const fn gather(name: &'static str, needs: &'static [&'static str]) -> Fact {
    Fact {
        name,
        needs,
        from: FactFrom::Gather,
    }
}

/// A private endpoint approved on the subject's `properties.privateEndpointConnections`,
/// with its DNS zone groups.
const fn approved_private_endpoints(
    name: &'static str,
    needs: &'static str,
    facts: &'static [Fact],
    absent: &'static str,
) -> Link {
    Link {
        absent,
        resource_type: "Microsoft.Network/privateEndpoints",
        api_version: api::NETWORK,
        what: "approved private endpoint",
        includes: &[Include {
            member: "privateDnsZoneGroups",
            path: "privateDnsZoneGroups",
            resource_type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
            api_version: api::NETWORK,
        }],
        facts,
        ..link(
            name,
            needs,
            Find::References {
                path: "properties.privateEndpointConnections[*]",
                when: Some((
                    "properties.privateLinkServiceConnectionState.status",
                    "Approved",
                )),
                id: "properties.privateEndpoint.id",
                read: true,
            },
        )
    }
}

/// The private DNS zones a target's private endpoints register (those `keeps_reference`
/// keeps), with their VNet links.
const fn private_dns_zones(
    name: &'static str,
    needs: &'static str,
    absent: &'static str,
    what: &'static str,
) -> Link {
    Link {
        absent,
        resource_type: "Microsoft.Network/privateDnsZones",
        api_version: api::PRIVATE_DNS,
        what,
        includes: &[Include {
            member: "virtualNetworkLinks",
            path: "virtualNetworkLinks",
            resource_type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
            api_version: api::PRIVATE_DNS,
        }],
        facts: DNS_ZONE_FACTS,
        ..link(
            name,
            needs,
            Find::References {
                path: "privateDnsZoneGroups[*].properties.privateDnsZoneConfigs[*].properties.privateDnsZoneId",
                when: None,
                id: "",
                read: false,
            },
        )
    }
}

const fn foundry_children(
    name: &'static str,
    needs: &'static str,
    path: &'static str,
    resource_type: &'static str,
    what: &'static str,
) -> Link {
    Link {
        absent: what,
        resource_type,
        api_version: api::COGNITIVE,
        what,
        ..link(
            name,
            needs,
            Find::Children {
                path,
                keep: None,
                complete_at: None,
            },
        )
    }
}

/// Every target kind, parents before children.
pub const LINKS: &[Link] = &[
    Link {
        resource_type: AML_WORKSPACE,
        what: "workspace",
        context: true,
        ..link("audited", "", Find::Audited)
    },
    Link {
        resource_type: AML_WORKSPACE,
        what: "hub workspace",
        context: true,
        facts: &[
            computed("nonEmptyTagKeys", &[]),
            computed("logAnalyticsWorkspaceIds", LOG_DESTINATION_NEEDS),
            computed("logAnalyticsSources", LOG_DESTINATION_NEEDS),
        ],
        ..link(
            "workspace",
            "audited",
            Find::WorkspaceBody {
                hub: "properties.hubResourceId",
            },
        )
    },
    Link {
        absent: "no compute instances or clusters",
        resource_type: "Microsoft.MachineLearningServices/workspaces/computes",
        what: "compute instance or cluster",
        ..link(
            "compute",
            "audited",
            Find::Children {
                path: "computes",
                keep: Some(("properties.computeType", &["ComputeInstance", "AmlCompute"])),
                complete_at: Some("properties.properties"),
            },
        )
    },
    Link {
        absent: "no compute of this type",
        resource_type: "Microsoft.MachineLearningServices/workspaces/computes",
        what: "compute of this type",
        ..link(
            "compute-instance",
            "compute",
            Find::Select {
                property: "properties.computeType",
                equals: "ComputeInstance",
            },
        )
    },
    Link {
        absent: "no compute of this type",
        resource_type: "Microsoft.MachineLearningServices/workspaces/computes",
        what: "compute of this type",
        ..link(
            "compute-cluster",
            "compute",
            Find::Select {
                property: "properties.computeType",
                equals: "AmlCompute",
            },
        )
    },
    Link {
        absent: "no datastores",
        resource_type: "Microsoft.MachineLearningServices/workspaces/datastores",
        what: "datastores",
        ..link(
            "datastore",
            "audited",
            Find::Children {
                path: "datastores",
                keep: None,
                complete_at: None,
            },
        )
    },
    Link {
        absent: "no connections",
        resource_type: "Microsoft.MachineLearningServices/workspaces/connections",
        what: "connections",
        ..link(
            "connection",
            "audited",
            Find::Children {
                path: "connections",
                keep: None,
                complete_at: None,
            },
        )
    },
    Link {
        absent: "no online endpoints",
        resource_type: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
        what: "online endpoints",
        ..link(
            "online-endpoint",
            "audited",
            Find::Children {
                path: "onlineEndpoints",
                keep: None,
                complete_at: None,
            },
        )
    },
    Link {
        absent: "no online deployments",
        resource_type: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
        what: "online deployments",
        ..link(
            "online-deployment",
            "online-endpoint",
            Find::Children {
                path: "deployments",
                keep: None,
                complete_at: None,
            },
        )
    },
    Link {
        absent: "no batch endpoints",
        resource_type: "Microsoft.MachineLearningServices/workspaces/batchEndpoints",
        what: "batch endpoints",
        ..link(
            "batch-endpoint",
            "audited",
            Find::Children {
                path: "batchEndpoints",
                keep: None,
                complete_at: None,
            },
        )
    },
    Link {
        absent: "no serverless endpoints",
        resource_type: "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints",
        what: "serverless endpoints",
        ..link(
            "serverless-endpoint",
            "audited",
            Find::Children {
                path: "serverlessEndpoints",
                keep: None,
                complete_at: None,
            },
        )
    },
    Link {
        resource_type: "Microsoft.Storage/storageAccounts",
        api_version: api::STORAGE,
        what: "storage account",
        context: true,
        ..link(
            "storage",
            "workspace",
            Find::Reference {
                property: "properties.storageAccount",
                required: true,
            },
        )
    },
    Link {
        resource_type: "Microsoft.Storage/storageAccounts/blobServices",
        api_version: api::STORAGE,
        what: "storage account",
        ..link(
            "storage-blob-service",
            "workspace",
            Find::ReferenceChild {
                property: "properties.storageAccount",
                required: true,
                child: "blobServices/default",
            },
        )
    },
    Link {
        resource_type: "Microsoft.Storage/storageAccounts/fileServices",
        api_version: api::STORAGE,
        what: "storage account",
        ..link(
            "storage-file-service",
            "workspace",
            Find::ReferenceChild {
                property: "properties.storageAccount",
                required: true,
                child: "fileServices/default",
            },
        )
    },
    Link {
        resource_type: "Microsoft.KeyVault/vaults",
        api_version: api::KEYVAULT,
        what: "key vault",
        context: true,
        ..link(
            "keyvault",
            "workspace",
            Find::Reference {
                property: "properties.keyVault",
                required: true,
            },
        )
    },
    Link {
        absent: "the workspace has no container registry",
        resource_type: "Microsoft.ContainerRegistry/registries",
        api_version: api::REGISTRY,
        what: "container registry",
        context: true,
        ..link(
            "registry",
            "workspace",
            Find::Reference {
                property: "properties.containerRegistry",
                required: false,
            },
        )
    },
    Link {
        resource_type: "Microsoft.ContainerRegistry/registries/replications",
        api_version: api::REPLICATIONS,
        what: "container registry",
        facts: &[
            computed("location", &[]),
            computed("registryLocation", &[]),
            computed("registrySku", &[]),
        ],
        ..link(
            "registry-replications",
            "registry",
            Find::ListDocument {
                path: "replications",
            },
        )
    },
    Link {
        absent: "the workspace has no Application Insights",
        resource_type: "Microsoft.Insights/components",
        api_version: api::INSIGHTS,
        what: "Application Insights",
        context: true,
        ..link(
            "insights",
            "workspace",
            Find::Reference {
                property: "properties.applicationInsights",
                required: false,
            },
        )
    },
    // The AML registry subject (Annex A §1.7): its body, and the storage accounts and
    // container registries it creates in its managed resource group.
    Link {
        resource_type: AML_REGISTRY,
        what: "AML registry",
        context: true,
        ..link("aml-registry", "", Find::Audited)
    },
    Link {
        absent: "the registry names no system-created storage account",
        resource_type: "Microsoft.Storage/storageAccounts",
        api_version: api::STORAGE,
        what: "registry storage account",
        ..link(
            "aml-registry-storage",
            "aml-registry",
            Find::References {
                path: "properties.regionDetails[*].storageAccountDetails[*].systemCreatedStorageAccount.armResourceId.resourceId",
                when: None,
                id: "",
                read: true,
            },
        )
    },
    Link {
        absent: "the registry names no system-created container registry",
        resource_type: "Microsoft.ContainerRegistry/registries",
        api_version: api::REGISTRY,
        what: "registry container registry",
        ..link(
            "aml-registry-acr",
            "aml-registry",
            Find::References {
                path: "properties.regionDetails[*].acrDetails[*].systemCreatedAcrAccount.armResourceId.resourceId",
                when: None,
                id: "",
                read: true,
            },
        )
    },
    // The Foundry account subject (Annex B): the account, its children and projects.
    Link {
        resource_type: FOUNDRY_ACCOUNT,
        api_version: api::COGNITIVE,
        what: "Foundry account",
        context: true,
        facts: &[
            gather("capabilityHosts", &["foundry-capability-host"]),
            gather("connections", &["foundry-connection"]),
            gather("projects", &["foundry-project"]),
        ],
        ..link("foundry-account", "", Find::Audited)
    },
    Link {
        facts: &[Fact {
            name: "raiPolicy",
            needs: &["foundry-rai-policy"],
            from: FactFrom::Join {
                property: "properties.raiPolicyName",
                on: "name",
            },
        }],
        ..foundry_children(
            "foundry-deployment",
            "foundry-account",
            "deployments",
            "Microsoft.CognitiveServices/accounts/deployments",
            "no model deployments",
        )
    },
    foundry_children(
        "foundry-rai-policy",
        "foundry-account",
        "raiPolicies",
        "Microsoft.CognitiveServices/accounts/raiPolicies",
        "no content-filter policies",
    ),
    foundry_children(
        "foundry-project",
        "foundry-account",
        "projects",
        "Microsoft.CognitiveServices/accounts/projects",
        "no projects",
    ),
    Link {
        resource_type: FOUNDRY_ACCOUNT,
        api_version: api::COGNITIVE,
        what: "Foundry account or project",
        ..link(
            "foundry-account-or-project",
            "foundry-account",
            Find::Union {
                with: "foundry-project",
            },
        )
    },
    // Account and project connections and capability hosts have one schema each.
    foundry_children(
        "foundry-connection",
        "foundry-account-or-project",
        "connections",
        "Microsoft.CognitiveServices/accounts/connections",
        "no connections",
    ),
    foundry_children(
        "foundry-capability-host",
        "foundry-account-or-project",
        "capabilityHosts",
        "Microsoft.CognitiveServices/accounts/capabilityHosts",
        "no capability hosts",
    ),
    foundry_children(
        "foundry-managed-network",
        "foundry-account",
        "managedNetworks",
        "Microsoft.CognitiveServices/accounts/managedNetworks",
        "the account has no managed network",
    ),
    Link {
        resource_type: "Microsoft.CognitiveServices/accounts/defenderForAISettings",
        api_version: api::COGNITIVE,
        ..link(
            "foundry-defender-setting",
            "foundry-account",
            Find::ListDocument {
                path: "defenderForAISettings",
            },
        )
    },
    approved_private_endpoints(
        "foundry-private-endpoint",
        "foundry-account",
        &[
            computed("privateDnsZoneNames", &[]),
            computed("vnetId", &[]),
            computed("expectedDnsZoneNames", &[]),
            computed("missingDnsZoneNames", &[]),
        ],
        "the account has no approved private endpoint",
    ),
    private_dns_zones(
        "foundry-private-dns-zone",
        "foundry-private-endpoint",
        "no Foundry private DNS zone is bound to the account's private endpoints",
        "Foundry private DNS zone bound to the account's private endpoints",
    ),
    subscription_diagnostic_settings(
        "foundry-subscription-diagnostic-settings",
        "foundry-account",
    ),
    defender_pricing("foundry-defender-pricing", "foundry-account"),
    role_assignments("foundry-role-assignment", "foundry-account"),
    role_definitions("foundry-role-definition", "foundry-role-assignment"),
    policy_assignments(
        "foundry-policy-assignment",
        "foundry-account",
        FOUNDRY_POLICY_FACTS,
    ),
    policy_set_definitions("foundry-policy-set-definition", "foundry-policy-assignment"),
    locks("foundry-lock", "foundry-account"),
    Link {
        absent: "no resource to read diagnostic settings of",
        resource_type: DIAGNOSTIC_SETTINGS,
        api_version: api::DIAGNOSTICS,
        what: "resource to read diagnostic settings of",
        // A project emits its own resource logs: `workspace` here is the audited workspace.
        arg: Arg::Parent(&[
            ("workspace", "audited"),
            ("storage-blob-service", "storage-blob-service"),
            ("keyvault", "keyvault"),
            ("registry", "registry"),
            ("online-endpoint", "online-endpoint"),
            ("aml-registry", "aml-registry"),
            ("foundry-account", "foundry-account"),
        ]),
        ..link(
            "diagnostic-settings",
            "",
            Find::ListDocument {
                path: "providers/Microsoft.Insights/diagnosticSettings",
            },
        )
    },
    subscription_diagnostic_settings("subscription-diagnostic-settings", "audited"),
    approved_private_endpoints(
        "workspace-private-endpoint",
        "workspace",
        &[
            computed("privateDnsZoneNames", &[]),
            computed("vnetId", &[]),
        ],
        "the workspace has no approved private endpoint",
    ),
    private_dns_zones(
        "private-dns-zone",
        "workspace-private-endpoint",
        "no AML private DNS zone is bound to the workspace private endpoints",
        "AML private DNS zone bound to the workspace private endpoints",
    ),
    Link {
        absent: "no compute uses a customer subnet",
        resource_type: "Microsoft.Network/virtualNetworks/subnets",
        api_version: api::NETWORK,
        what: "compute in a customer subnet",
        facts: &[computed("computeNames", &[])],
        ..link(
            "compute-subnet",
            "compute",
            Find::References {
                path: "properties.properties.subnet.id",
                when: None,
                id: "",
                read: true,
            },
        )
    },
    Link {
        absent: "no compute subnet has an NSG",
        resource_type: "Microsoft.Network/networkSecurityGroups",
        api_version: api::NSG,
        what: "compute subnet with an NSG",
        ..link(
            "compute-nsg",
            "compute-subnet",
            Find::References {
                path: "properties.networkSecurityGroup.id",
                when: None,
                id: "",
                read: true,
            },
        )
    },
    defender_pricing("defender-pricing", "audited"),
    role_assignments("role-assignment", "audited"),
    role_definitions("role-definition", "role-assignment"),
    policy_assignments("policy-assignment", "audited", WORKSPACE_POLICY_FACTS),
    policy_set_definitions("policy-set-definition", "policy-assignment"),
    locks("lock", "audited"),
    Link {
        absent: "no connection to an Azure SQL Database",
        resource_type: "Microsoft.Sql/servers",
        api_version: api::SQL,
        what: "connection to an Azure SQL Database",
        facts: &[
            computed("connectionId", &[]),
            computed("connectionTarget", &[]),
            computed("host", &[]),
        ],
        ..link("sql-server", "connection", Find::SqlServers)
    },
    Link {
        resource_type: "Microsoft.Sql/servers/azureADOnlyAuthentications",
        api_version: api::SQL,
        facts: &[computed("notConfigured", &[])],
        ..link(
            "sql-server-entra-only",
            "sql-server",
            Find::Child {
                path: "azureADOnlyAuthentications/Default",
                missing_means_unset: true,
            },
        )
    },
];
