//! The consumer secret store: one user-only (0600) file per org and app, in a user-only (0700)
//! folder under the user's config directory, or under `$INSIGHTS_SECRET_STORE_DIR`.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::Rng;
use rand::distributions::Alphanumeric;
use secrecy::{ExposeSecret, SecretString};

use crate::OrgError;

/// Overrides the store's folder (tests always set it).
pub const ENV_SECRET_STORE_DIR: &str = "INSIGHTS_SECRET_STORE_DIR";

/// Length of a generated consumer secret (base62).
pub const CONSUMER_SECRET_LEN: usize = 48;

/// A new consumer secret: base62 characters from the operating system's CSPRNG.
pub fn generate_consumer_secret() -> SecretString {
    let secret: String =
        rand::rngs::OsRng.sample_iter(&Alphanumeric).take(CONSUMER_SECRET_LEN).map(char::from).collect();
    SecretString::from(secret)
}

/// The store's folder.
#[derive(Debug, Clone)]
pub struct SecretStore {
    root: PathBuf,
}

impl SecretStore {
    /// `$INSIGHTS_SECRET_STORE_DIR`, else `<config dir>/insights-provision/secrets`.
    pub fn from_env() -> Result<Self, OrgError> {
        if let Some(dir) = std::env::var_os(ENV_SECRET_STORE_DIR).filter(|dir| !dir.is_empty()) {
            return Ok(Self::at(PathBuf::from(dir)));
        }
        let config = dirs::config_dir().ok_or_else(|| OrgError::Io {
            action: "finding the user's config directory for",
            path: PathBuf::from("secret store"),
            source: std::io::Error::other(format!("no config directory; set {ENV_SECRET_STORE_DIR}")),
        })?;
        Ok(Self::at(config.join("insights-provision").join("secrets")))
    }

    /// A store rooted at `root`.
    pub fn at(root: PathBuf) -> Self {
        Self { root }
    }

    /// The file that holds (or would hold) the secret of this org and app.
    pub fn path_for(&self, org_id: &str, app_api_name: &str) -> Result<PathBuf, OrgError> {
        Ok(self.root.join(safe_part(org_id)?).join(safe_part(app_api_name)?))
    }

    /// Saves the secret (replacing an older one) with owner-only permissions.
    pub fn save(&self, org_id: &str, app_api_name: &str, secret: &SecretString) -> Result<PathBuf, OrgError> {
        let path = self.path_for(org_id, app_api_name)?;
        let folder = path.parent().unwrap_or(&self.root).to_owned();
        create_private_dir(&folder)?;
        let temporary = folder.join(format!(".{app_api_name}.tmp"));
        write_private_file(&temporary, secret.expose_secret().as_bytes())?;
        std::fs::rename(&temporary, &path).map_err(|source| OrgError::Io {
            action: "saving the secret to",
            path: path.clone(),
            source,
        })?;
        tracing::info!(path = %path.display(), "consumer secret stored");
        Ok(path)
    }

    /// Loads the secret, if stored.
    pub fn load(&self, org_id: &str, app_api_name: &str) -> Result<Option<SecretString>, OrgError> {
        let path = self.path_for(org_id, app_api_name)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(SecretString::from(text.trim().to_owned()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(OrgError::Io { action: "reading", path, source }),
        }
    }
}

fn safe_part(part: &str) -> Result<&str, OrgError> {
    let ok = !part.is_empty()
        && part.len() <= 255
        && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok { Ok(part) } else { Err(OrgError::InvalidSecretKey(part.to_owned())) }
}

fn create_private_dir(folder: &Path) -> Result<(), OrgError> {
    let io_error = |source| OrgError::Io { action: "creating", path: folder.to_owned(), source };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(folder).map_err(io_error)?;
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700)).map_err(io_error)?;
    }
    #[cfg(not(unix))]
    builder.create(folder).map_err(io_error)?;
    Ok(())
}

fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), OrgError> {
    let io_error = |source| OrgError::Io { action: "writing", path: path.to_owned(), source };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(io_error)?;
    }
    file.write_all(bytes).map_err(io_error)?;
    file.sync_all().map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_base62_and_differ() {
        let first = generate_consumer_secret();
        let second = generate_consumer_secret();
        assert_eq!(first.expose_secret().len(), CONSUMER_SECRET_LEN);
        assert!(first.expose_secret().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(first.expose_secret(), second.expose_secret());
    }

    #[test]
    fn saves_user_only_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::at(dir.path().join("secrets"));
        let secret = SecretString::from("s3cretValue".to_owned());
        let path = store.save("00D000000000001AAA", "Insights_App", &secret).unwrap();
        let loaded = store.load("00D000000000001AAA", "Insights_App").unwrap().unwrap();
        assert_eq!(loaded.expose_secret(), "s3cretValue");
        assert!(store.load("00D000000000001AAA", "Other").unwrap().is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
    }

    #[test]
    fn refuses_path_like_keys() {
        let store = SecretStore::at(PathBuf::from("/nonexistent"));
        assert!(store.path_for("../x", "app").is_err());
        assert!(store.path_for("00D", "a/b").is_err());
    }
}
