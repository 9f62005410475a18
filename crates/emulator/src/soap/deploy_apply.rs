//! Running a deploy to completion inside one transaction: validate everything, then, only when
//! nothing failed and it is not `checkOnly`, write the components and their grants.

use std::collections::BTreeSet;

use rusqlite::{Connection, Transaction};

use super::deploy::DeployRequest;
use super::deploy_package::check_package;
use super::deploy_result::{DeployMessage, DeployOutcome};
use super::deploy_rules::{Change, ExistingComponent, OrgLookup, check_components};
use super::zip_package::read_zip;
use crate::store::metadata as store;
use crate::store::{StoreError, access, apps, eca, org};

/// The org as deploy validation sees it, inside the deploy's transaction.
struct OrgInTx<'a> {
    connection: &'a Connection,
    allow_new_connected_apps: bool,
}

impl OrgLookup for OrgInTx<'_> {
    fn connected_app(&self, full_name: &str) -> Result<Option<ExistingComponent>, StoreError> {
        let Some(app) = apps::by_full_name(self.connection, full_name)? else { return Ok(None) };
        let is_eca = eca::is_eca(self.connection, &app.full_name)?;
        Ok(Some(ExistingComponent {
            full_name: app.full_name,
            eca: is_eca,
            xml: Some(app.xml),
            consumer_key: Some(app.consumer_key),
        }))
    }

    fn eca_components(&self, app_full_name: &str) -> Result<Vec<eca::EcaComponentRow>, StoreError> {
        eca::by_app(self.connection, app_full_name)
    }

    fn consumer_key_owner(&self, consumer_key: &str) -> Result<Option<String>, StoreError> {
        Ok(apps::by_consumer_key(self.connection, consumer_key)?.map(|app| app.full_name))
    }

    fn consumer_secret_owner(&self, consumer_secret: &str) -> Result<Option<String>, StoreError> {
        store::consumer_secret_owner(self.connection, consumer_secret)
    }

    fn permission_set(&self, name: &str) -> Result<Option<ExistingComponent>, StoreError> {
        Ok(store::permission_set(self.connection, name)?.map(|set| ExistingComponent {
            full_name: set.name,
            xml: set.xml,
            consumer_key: None,
            eca: false,
        }))
    }

    fn apex_class_exists(&self, name: &str) -> Result<bool, StoreError> {
        Ok(org::apex_class_by_name(self.connection, name)?.is_some())
    }

    fn allow_new_connected_apps(&self) -> bool {
        self.allow_new_connected_apps
    }
}

/// Validates the stored zip and applies it when clean; returns what `checkDeployStatus` shows.
pub fn complete_deploy(
    tx: &Transaction,
    row: &store::DeployRow,
    request: &DeployRequest,
    allow_new_connected_apps: bool,
    now: &str,
) -> Result<DeployOutcome, StoreError> {
    let entries = match read_zip(&row.zip) {
        Ok(entries) => entries,
        Err(error) => {
            return Ok(DeployOutcome {
                error_status_code: Some("UNKNOWN_EXCEPTION".into()),
                error_message: Some(error.to_string()),
                completed_date: now.to_string(),
                ..DeployOutcome::default()
            });
        }
    };
    let package = check_package(&entries, request.single_package, now);
    let org = OrgInTx { connection: tx, allow_new_connected_apps };
    let rules = check_components(&package.components, &org, now)?;

    let mut failures = package.failures;
    failures.extend(rules.failures);
    let mut successes = rules.successes;
    inject_failures(&request.injected, &package.package_file, &mut successes, &mut failures, now);

    let package_failed =
        failures.iter().any(|f| f.file_name == package.package_file && f.full_name == "package.xml");
    let components_deployed = i64::try_from(successes.len()).unwrap_or(i64::MAX);
    if !package_failed {
        successes.push(DeployMessage {
            changed: true,
            component_type: String::new(),
            created_date: now.to_string(),
            file_name: package.package_file.clone(),
            full_name: "package.xml".into(),
            success: true,
            ..DeployMessage::default()
        });
    }
    let failed_components: BTreeSet<(&str, &str)> =
        failures.iter().map(|f| (f.component_type.as_str(), f.full_name.as_str())).collect();
    let outcome = DeployOutcome {
        number_component_errors: i64::try_from(failed_components.len()).unwrap_or(i64::MAX),
        number_components_deployed: components_deployed,
        number_components_total: package.component_count,
        failures,
        successes,
        completed_date: now.to_string(),
        ..DeployOutcome::default()
    };
    if outcome.succeeded() && !request.check_only {
        apply(tx, &rules.changes, now)?;
    }
    Ok(outcome)
}

/// Turns queued test-control failures into component failures of this deploy.
fn inject_failures(
    injected: &[crate::state::InjectedDeployFailure],
    package_file: &str,
    successes: &mut Vec<DeployMessage>,
    failures: &mut Vec<DeployMessage>,
    now: &str,
) {
    for injection in injected {
        let matching = successes.iter().position(|s| s.full_name == injection.full_name);
        let failure = match matching {
            Some(index) => {
                let success = successes.remove(index);
                DeployMessage::failure(
                    &success.component_type,
                    &success.full_name,
                    &success.file_name,
                    &injection.problem,
                    now,
                )
            }
            None => DeployMessage::failure("", &injection.full_name, package_file, &injection.problem, now),
        };
        failures.push(failure);
    }
}

/// Writes the changes: permission sets first (apps link to them), then apps and their grants.
fn apply(tx: &Transaction, changes: &[Change], now: &str) -> Result<(), StoreError> {
    for change in changes {
        if let Change::PermissionSet { full_name, label, xml, enabled_classes, .. } = change {
            let id = access::upsert_permission_set(tx, full_name, label, Some(xml), now)?;
            let mut class_ids = Vec::new();
            for class_name in enabled_classes {
                if let Some(class) = org::apex_class_by_name(tx, class_name)? {
                    class_ids.push(class.id);
                }
            }
            access::sync_class_accesses(tx, &id, &class_ids)?;
        }
    }
    for change in changes {
        if let Change::ConnectedApp {
            full_name,
            xml,
            consumer_key,
            consumer_secret,
            permission_set_names,
            created,
            eca: eca_rows,
        } = change
        {
            for row in eca_rows {
                eca::upsert(tx, row)?;
            }
            let app_id = if *created {
                let secret = consumer_secret.as_ref().map(|s| s.expose()).unwrap_or_default();
                apps::insert(tx, full_name, xml, consumer_key, secret, now)?
            } else {
                apps::update_xml(tx, full_name, xml, now)?;
                apps::by_full_name(tx, full_name)?
                    .ok_or_else(|| StoreError::Corrupt(format!("connected app {full_name} vanished")))?
                    .id
            };
            let mut set_ids = Vec::new();
            for name in permission_set_names {
                if let Some(set) = access::permission_set_by_name(tx, name)? {
                    set_ids.push(set.id);
                }
            }
            access::sync_entity_grants(tx, &app_id, access::CONNECTED_APPLICATION, &set_ids)?;
        }
    }
    Ok(())
}
