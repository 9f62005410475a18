//! `users.toml` in the state directory: the org's profiles and users with their passwords.
//! Written with the seeded users on first start, read (and applied to the database) on every
//! start, so an admin can add users or change passwords by editing it.

use std::net::Ipv4Addr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::EmulatorError;
use crate::settings::write_atomically;

/// The file name inside the state directory.
pub const FILE_NAME: &str = "users.toml";

/// The whole file.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersFile {
    /// The user whose session `admin_access_token()` and `serve --json` hand out.
    pub admin_username: String,
    /// Profiles users refer to by name.
    #[serde(default, rename = "profiles")]
    pub profiles: Vec<ProfileEntry>,
    /// Users.
    #[serde(default, rename = "users")]
    pub users: Vec<UserEntry>,
}

/// A profile.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileEntry {
    /// Profile name.
    pub name: String,
    /// "API Enabled" (default true).
    #[serde(default = "yes")]
    pub api_enabled: bool,
    /// "Modify All Data": what System Administrator has (default false).
    #[serde(default)]
    pub modify_all_data: bool,
    /// Login IP range start (IPv4), when the profile restricts login addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_ip_start: Option<Ipv4Addr>,
    /// Login IP range end (IPv4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_ip_end: Option<Ipv4Addr>,
}

/// A user.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// Username (an email-shaped, org-unique name).
    pub username: String,
    /// Password for the emulator's login form.
    pub password: String,
    /// Name of one of the profiles above.
    pub profile: String,
    /// Email (defaults to the username).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    #[serde(default)]
    pub last_name: String,
    /// Whether the user may log in (default true).
    #[serde(default = "yes")]
    pub active: bool,
}

impl std::fmt::Debug for UserEntry {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("UserEntry")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

fn yes() -> bool {
    true
}

/// Username of the seeded System Administrator.
pub const ADMIN_USERNAME: &str = "admin@insights-emulator.test";
/// Username of the seeded API user.
pub const API_USERNAME: &str = "api@insights-emulator.test";
/// Username of the seeded IP-restricted user.
pub const RESTRICTED_USERNAME: &str = "restricted@insights-emulator.test";

impl Default for UsersFile {
    fn default() -> Self {
        let profile = |name: &str, modify_all_data| ProfileEntry {
            name: name.into(),
            api_enabled: true,
            modify_all_data,
            login_ip_start: None,
            login_ip_end: None,
        };
        let user = |username: &str, password: &str, profile: &str, first: &str, last: &str| UserEntry {
            username: username.into(),
            password: password.into(),
            profile: profile.into(),
            email: Some(username.into()),
            first_name: first.into(),
            last_name: last.into(),
            active: true,
        };
        Self {
            admin_username: ADMIN_USERNAME.into(),
            profiles: vec![
                profile("System Administrator", true),
                profile("Insights API User", false),
                ProfileEntry {
                    login_ip_start: Some(Ipv4Addr::new(10, 20, 0, 0)),
                    login_ip_end: Some(Ipv4Addr::new(10, 20, 0, 255)),
                    ..profile("Restricted IP", false)
                },
            ],
            users: vec![
                user(ADMIN_USERNAME, "Admin-Pass-1", "System Administrator", "Emulator", "Admin"),
                user(API_USERNAME, "Api-User-Pass-1", "Insights API User", "Insights", "Api"),
                user(RESTRICTED_USERNAME, "Restricted-Pass-1", "Restricted IP", "Restricted", "User"),
            ],
        }
    }
}

const HEADER: &str = "# Profiles and users of the emulated org (insights emulator).
# Read on every start: edit to add users or change passwords. `admin_username` names the user
# whose session `insights emulator serve --json` prints. Login IP ranges are IPv4.
";

impl UsersFile {
    /// Reads `users.toml`, writing the seeded users first when it is absent; checks it.
    pub fn load_or_create(state_dir: &Path) -> Result<Self, EmulatorError> {
        let path = state_dir.join(FILE_NAME);
        let file = if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|source| EmulatorError::Io {
                action: "reading",
                path: path.clone(),
                source,
            })?;
            toml::from_str(&text)
                .map_err(|error| EmulatorError::BadFile { path: path.clone(), message: error.to_string() })?
        } else {
            let file = Self::default();
            let body = toml::to_string(&file)
                .map_err(|error| EmulatorError::BadFile { path: path.clone(), message: error.to_string() })?;
            write_atomically(&path, &format!("{HEADER}\n{body}"))?;
            file
        };
        file.check().map_err(|message| EmulatorError::BadFile { path, message })?;
        Ok(file)
    }

    /// Cross-references: profiles exist, usernames unique, admin listed, IP ranges ordered.
    fn check(&self) -> Result<(), String> {
        for profile in &self.profiles {
            match (profile.login_ip_start, profile.login_ip_end) {
                (Some(start), Some(end)) if start > end => {
                    return Err(format!(
                        "profile {:?}: login_ip_start {start} is after login_ip_end {end}",
                        profile.name
                    ));
                }
                (Some(_), None) | (None, Some(_)) => {
                    return Err(format!(
                        "profile {:?}: give both login_ip_start and login_ip_end, or neither",
                        profile.name
                    ));
                }
                _ => {}
            }
        }
        let mut seen = std::collections::HashSet::new();
        for user in &self.users {
            if !self.profiles.iter().any(|profile| profile.name == user.profile) {
                return Err(format!(
                    "user {:?} names profile {:?}, which is not among [[profiles]]",
                    user.username, user.profile
                ));
            }
            if !seen.insert(user.username.to_ascii_lowercase()) {
                return Err(format!("username {:?} appears twice", user.username));
            }
        }
        if !seen.contains(&self.admin_username.to_ascii_lowercase()) {
            return Err(format!("admin_username {:?} is not among [[users]]", self.admin_username));
        }
        Ok(())
    }
}
