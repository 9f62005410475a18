//! Org settings kept in `org-settings.toml` in the state directory: whether new Connected Apps
//! may be created, whether the REST credentials resource returns secrets, and how long OAuth
//! takes to see a freshly deployed app.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::error::EmulatorError;

/// The file name inside the state directory.
pub const FILE_NAME: &str = "org-settings.toml";

/// The org settings (see ARCHITECTURE.md, "Org settings").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrgSettings {
    /// `false` behaves like a Spring '26 org without Support's help: new Connected Apps are refused.
    pub allow_new_connected_apps: bool,
    /// `true` lets the REST credentials resource return the consumer secret.
    pub allow_consumer_secret_in_rest: bool,
    /// Seconds after an app's last deploy during which OAuth answers `invalid_client_id`.
    pub oauth_propagation_delay_seconds: u64,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            allow_new_connected_apps: true,
            allow_consumer_secret_in_rest: false,
            oauth_propagation_delay_seconds: 0,
        }
    }
}

/// A partial update, as posted to `/__emulator/org-settings`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSettingsPatch {
    /// See [`OrgSettings::allow_new_connected_apps`].
    pub allow_new_connected_apps: Option<bool>,
    /// See [`OrgSettings::allow_consumer_secret_in_rest`].
    pub allow_consumer_secret_in_rest: Option<bool>,
    /// See [`OrgSettings::oauth_propagation_delay_seconds`].
    pub oauth_propagation_delay_seconds: Option<u64>,
}

/// The live settings, shared by every request and saved to the state directory on change.
#[derive(Clone, Debug)]
pub struct Settings {
    path: PathBuf,
    current: Arc<RwLock<OrgSettings>>,
}

impl Settings {
    /// Reads `org-settings.toml` from the state directory, writing the defaults when absent.
    pub fn load(state_dir: &Path) -> Result<Self, EmulatorError> {
        let path = state_dir.join(FILE_NAME);
        let current = if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|source| EmulatorError::Io {
                action: "reading",
                path: path.clone(),
                source,
            })?;
            toml::from_str(&text).map_err(|error| EmulatorError::BadFile {
                path: path.clone(),
                message: format!("{error}(known keys: allow_new_connected_apps, allow_consumer_secret_in_rest, oauth_propagation_delay_seconds)"),
            })?
        } else {
            let defaults = OrgSettings::default();
            save(&path, &defaults)?;
            defaults
        };
        Ok(Self { path, current: Arc::new(RwLock::new(current)) })
    }

    /// A copy of the current settings.
    pub fn get(&self) -> OrgSettings {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Applies a partial update, saves the file and returns the new settings.
    pub fn update(&self, patch: OrgSettingsPatch) -> Result<OrgSettings, EmulatorError> {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = guard.clone();
        if let Some(value) = patch.allow_new_connected_apps {
            next.allow_new_connected_apps = value;
        }
        if let Some(value) = patch.allow_consumer_secret_in_rest {
            next.allow_consumer_secret_in_rest = value;
        }
        if let Some(value) = patch.oauth_propagation_delay_seconds {
            next.oauth_propagation_delay_seconds = value;
        }
        save(&self.path, &next)?;
        *guard = next.clone();
        Ok(next)
    }
}

/// Writes the settings through a temporary file and a rename, so a crash never leaves half a file.
fn save(path: &Path, settings: &OrgSettings) -> Result<(), EmulatorError> {
    let body = toml::to_string(settings)
        .map_err(|error| EmulatorError::BadFile { path: path.to_path_buf(), message: error.to_string() })?;
    let text = format!("# Settings of the emulated org (insights emulator). Read at start.\n{body}");
    write_atomically(path, &text)
}

/// Writes a file through a sibling temporary file and a rename.
pub(crate) fn write_atomically(path: &Path, text: &str) -> Result<(), EmulatorError> {
    let temporary = path.with_extension("toml.tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|source| EmulatorError::Io { action: "writing", path: path.to_path_buf(), source })
}
