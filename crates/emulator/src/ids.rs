//! Salesforce-shaped identifiers: 18-character record ids with key prefixes and the case-safe
//! checksum suffix, plus the random tokens, codes and consumer credentials an org hands out.

use rand::Rng;
use rand::distributions::Alphanumeric;

/// Key prefixes of the record types the emulator stores.
pub mod prefix {
    /// Organization.
    pub const ORGANIZATION: &str = "00D";
    /// User.
    pub const USER: &str = "005";
    /// Profile.
    pub const PROFILE: &str = "00e";
    /// PermissionSet.
    pub const PERMISSION_SET: &str = "0PS";
    /// PermissionSetAssignment.
    pub const PERMISSION_SET_ASSIGNMENT: &str = "0Pa";
    /// ConnectedApplication.
    pub const CONNECTED_APP: &str = "0H4";
    /// ApexClass.
    pub const APEX_CLASS: &str = "01p";
    /// SetupEntityAccess.
    pub const SETUP_ENTITY_ACCESS: &str = "0J0";
    /// DeployRequest (async deploy id).
    pub const DEPLOY: &str = "0Af";
    /// Retrieve request (async retrieve id).
    pub const RETRIEVE: &str = "09S";
}

const CHECKSUM_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// A new random 18-character id with the given 3-character key prefix.
pub fn new_id(key_prefix: &str) -> String {
    // Real ids: prefix, a 2-character pod/instance part, zero padding, then the record number.
    let id15 = format!("{key_prefix}Hn0000{}", random_base62(6));
    with_checksum(&id15)
}

/// Adds the 3-character case-safe suffix to a 15-character id.
///
/// Each 5-character chunk gives one suffix character: bit `i` is set when character `i` of the
/// chunk is an upper-case ASCII letter, and the 5-bit number indexes `A..Z0..5`.
pub fn with_checksum(id15: &str) -> String {
    let mut suffix = String::with_capacity(3);
    for chunk in id15.as_bytes().chunks(5) {
        let mut flags = 0usize;
        for (position, byte) in chunk.iter().enumerate() {
            if byte.is_ascii_uppercase() {
                flags |= 1 << position;
            }
        }
        suffix.push(char::from(CHECKSUM_ALPHABET[flags]));
    }
    format!("{id15}{suffix}")
}

/// Turns a 15- or 18-character id into its 18-character form; `None` when it is neither
/// alphanumeric 15 nor a consistent 18-character id.
pub fn normalize(id: &str) -> Option<String> {
    if !id.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return None;
    }
    match id.len() {
        15 => Some(with_checksum(id)),
        18 => {
            let full = with_checksum(&id[..15]);
            // Salesforce accepts the suffix in any case.
            full.eq_ignore_ascii_case(id).then_some(full)
        }
        _ => None,
    }
}

/// The 15-character form of an 18-character id.
pub fn short(id: &str) -> &str {
    id.get(..15).unwrap_or(id)
}

/// `len` random characters from `[A-Za-z0-9]`.
pub fn random_base62(len: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// A new access token (session id): the 15-character org id, `!`, then random characters.
pub fn new_access_token(org_id: &str) -> String {
    format!("{}!AQ{}", short(org_id), random_base62(94))
}

/// A new refresh token, shaped like Salesforce's (`5Aep…`).
pub fn new_refresh_token() -> String {
    format!("5Aep861{}", random_base62(80))
}

/// A new authorization code (`aPrx…`).
pub fn new_authorization_code() -> String {
    format!("aPrx{}", random_base62(72))
}

/// A new consumer key, shaped like Salesforce's (`3MVG9…`, 85 characters).
pub fn new_consumer_key() -> String {
    format!("3MVG9{}", random_base62(80))
}

/// A new consumer secret: 64 upper-case hexadecimal digits, as Salesforce generates them.
pub fn new_consumer_secret() -> String {
    let mut rng = rand::thread_rng();
    (0..64).map(|_| char::from(b"0123456789ABCDEF"[rng.gen_range(0..16)])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_known_ids() {
        // Published examples of 15 → 18 conversions.
        assert_eq!(with_checksum("001A000001Jk0Wq"), "001A000001Jk0WqIAJ");
        assert_eq!(with_checksum("00D000000000062"), "00D000000000062EAA");
        assert_eq!(with_checksum("aaaaaaaaaaaaaaa"), "aaaaaaaaaaaaaaaAAA");
        assert_eq!(with_checksum("AAAAAAAAAAAAAAA"), "AAAAAAAAAAAAAAA555");
    }

    #[test]
    fn new_ids_have_prefix_length_and_valid_suffix() {
        let id = new_id(prefix::CONNECTED_APP);
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("0H4"));
        assert_eq!(normalize(&id).as_deref(), Some(id.as_str()));
        assert_eq!(normalize(short(&id)).as_deref(), Some(id.as_str()));
    }

    #[test]
    fn normalize_rejects_bad_ids() {
        assert_eq!(normalize("005"), None);
        assert_eq!(normalize("005Hn0000abc'; --"), None);
        assert_eq!(normalize("001A000001Jk0WqZZZ"), None);
        assert_eq!(normalize("001A000001Jk0Wqiaj").as_deref(), Some("001A000001Jk0WqIAJ"));
    }

    #[test]
    fn access_tokens_look_like_session_ids() {
        let token = new_access_token("00DHn0000abcdefGHI");
        let (org, rest) = token.split_once('!').unwrap();
        assert_eq!(org, "00DHn0000abcdef");
        assert!(rest.len() > 80);
    }
}
