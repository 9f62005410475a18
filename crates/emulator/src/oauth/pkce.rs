//! PKCE (RFC 7636) as Salesforce checks it, and the HMAC-SHA256 token `signature`.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::store::users::constant_time_eq;

/// Whether a `code_challenge_method` is one the org supports (absent means S256).
pub fn supported_method(method: Option<&str>) -> bool {
    matches!(method, None | Some("S256") | Some("plain"))
}

/// Checks a verifier against the stored challenge. Salesforce accepts verifiers longer than
/// RFC 7636's 128 characters (the Salesforce CLI sends 171) and refuses `~`.
pub fn verify(verifier: &str, challenge: &str, method: Option<&str>) -> bool {
    let well_formed = (43..=256).contains(&verifier.len())
        && verifier.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'));
    if !well_formed {
        return false;
    }
    let expected = match method {
        Some("plain") => verifier.to_string(),
        _ => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
    };
    constant_time_eq(expected.as_bytes(), challenge.as_bytes())
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let inner_pad: Vec<u8> = block_key.iter().map(|byte| byte ^ 0x36).collect();
    let outer_pad: Vec<u8> = block_key.iter().map(|byte| byte ^ 0x5c).collect();
    let inner = Sha256::new().chain_update(&inner_pad).chain_update(message).finalize();
    Sha256::new().chain_update(&outer_pad).chain_update(inner).finalize().into()
}

/// The token response `signature`: base64 HMAC-SHA256 of `id` + `issued_at`, keyed with the
/// consumer secret.
pub fn signature(consumer_secret: &str, id_url: &str, issued_at_ms: &str) -> String {
    let message = format!("{id_url}{issued_at_ms}");
    STANDARD.encode(hmac_sha256(consumer_secret.as_bytes(), message.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verify(verifier, challenge, Some("S256")));
        assert!(verify(verifier, challenge, None));
        assert!(!verify(verifier, challenge, Some("plain")));
    }

    #[test]
    fn long_verifiers_pass_and_tilde_fails() {
        let long = "a".repeat(171);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(long.as_bytes()));
        assert!(verify(&long, &challenge, None));
        let tilde = format!("{}~", "a".repeat(50));
        assert!(!verify(&tilde, &tilde, Some("plain")));
        assert!(!verify("short", "short", Some("plain")));
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
