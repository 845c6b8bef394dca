//! Every rejection has its own test; hand-crafted tokens (base64url + HMAC) cover what
//! jsonwebtoken refuses to produce, such as `alg: none`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::*;

const SECRET: &[u8] = b"an-example-secret-of-forty-bytes-length!";

fn service() -> TokenService {
    TokenService::new(TokenKeys::new(SECRET).unwrap(), TokenSettings::default())
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload.signature` with an HMAC-SHA256 signature over the first two parts.
fn sign(header: &Value, payload: &Value, secret: &[u8]) -> String {
    let message = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(message.as_bytes());
    format!("{message}.{}", b64(&mac.finalize().into_bytes()))
}

fn hs256() -> Value {
    json!({"alg": "HS256", "typ": "JWT"})
}

/// The claims of a token that verifies, as JSON to be altered by each test.
fn valid_claims() -> Value {
    let now = unix_now();
    json!({
        "sub": "42", "exp": now + 600, "iat": now, "nbf": now,
        "iss": "mlx-manager", "aud": "mlx-manager-api", "typ": "access",
        "jti": "00112233445566778899aabbccddeeff", "sv": 3
    })
}

fn with(field: &str, value: Value) -> Value {
    let mut claims = valid_claims();
    claims[field] = value;
    claims
}

fn without(field: &str) -> Value {
    let mut claims = valid_claims();
    claims.as_object_mut().unwrap().remove(field);
    claims
}

/// Verifies and returns the rejection reason; fails the test if the token was accepted.
fn rejection(token: &str) -> String {
    match service().verify(token) {
        Err(AuthError::InvalidToken(reason)) => reason,
        other => panic!("expected InvalidToken, got {other:?}"),
    }
}

fn rejection_of(payload: Value) -> String {
    rejection(&sign(&hs256(), &payload, SECRET))
}

#[test]
fn issued_token_verifies_with_its_claims() {
    let service = service();
    let issued = service.issue(42, 7).unwrap();
    let claims = service.verify(&issued.token).unwrap();
    assert_eq!(claims.sub, "42");
    assert_eq!(claims.user_id().unwrap(), 42);
    assert_eq!(claims.sv, 7);
    assert_eq!(claims.typ, "access");
    assert_eq!(
        (claims.iss.as_str(), claims.aud.as_str()),
        ("mlx-manager", "mlx-manager-api")
    );
    assert_eq!(claims.jti, issued.jti);
    assert_eq!(claims.exp, issued.expires_at);
    assert_eq!(claims.iat, claims.nbf);
    assert_eq!(issued.expires_in, 7 * 24 * 3600);
    assert_eq!(claims.exp - claims.iat, 7 * 24 * 3600);
}

#[test]
fn hand_crafted_valid_token_is_accepted() {
    // Guards the helpers: every rejection below differs from this token in one way only.
    let claims = service()
        .verify(&sign(&hs256(), &valid_claims(), SECRET))
        .unwrap();
    assert_eq!(claims.sv, 3);
}

#[test]
fn jti_is_128_random_bits_in_hex_and_unique() {
    let service = service();
    let (a, b) = (service.issue(1, 0).unwrap(), service.issue(1, 0).unwrap());
    assert_eq!(a.jti.len(), 32);
    assert!(a.jti.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a.jti, b.jti);
    assert_ne!(a.token, b.token);
}

#[test]
fn token_header_says_hs256() {
    let token = service().issue(1, 0).unwrap().token;
    assert_eq!(
        jsonwebtoken::decode_header(&token).unwrap().alg,
        Algorithm::HS256
    );
}

#[test]
fn alg_none_is_rejected() {
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": alg, "typ": "JWT"});
        let unsigned = format!(
            "{}.{}.",
            b64(header.to_string().as_bytes()),
            b64(valid_claims().to_string().as_bytes())
        );
        let reason = "malformed header or unknown algorithm";
        assert_eq!(rejection(&unsigned), reason, "{alg}");
        // Also with a valid HMAC attached: the header alone must sink it.
        let signed = sign(&header, &valid_claims(), SECRET);
        assert_eq!(rejection(&signed), reason, "{alg}");
    }
}

#[test]
fn missing_alg_header_is_rejected() {
    assert!(rejection(&sign(&json!({"typ": "JWT"}), &valid_claims(), SECRET)).contains("header"));
}

#[test]
fn hs384_token_signed_with_the_right_key_is_rejected() {
    let key = EncodingKey::from_secret(SECRET);
    let claims: AccessClaims = serde_json::from_value(valid_claims()).unwrap();
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS384), &claims, &key).unwrap();
    assert_eq!(rejection(&token), "algorithm not allowed");
}

#[test]
fn hs512_token_signed_with_the_right_key_is_rejected() {
    let key = EncodingKey::from_secret(SECRET);
    let claims: AccessClaims = serde_json::from_value(valid_claims()).unwrap();
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &key).unwrap();
    assert_eq!(rejection(&token), "algorithm not allowed");
}

#[test]
fn rs256_header_over_an_hmac_signature_is_rejected() {
    // The classic key-confusion attack: claim RSA, sign with the (public) key as HMAC secret.
    let token = sign(
        &json!({"alg": "RS256", "typ": "JWT"}),
        &valid_claims(),
        SECRET,
    );
    assert_eq!(rejection(&token), "algorithm not allowed");
}

#[test]
fn every_other_known_algorithm_header_is_rejected() {
    for alg in [
        "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA",
    ] {
        let token = sign(&json!({"alg": alg}), &valid_claims(), SECRET);
        assert_eq!(rejection(&token), "algorithm not allowed", "{alg}");
    }
}

#[test]
fn token_signed_with_a_different_key_is_rejected() {
    let token = sign(
        &hs256(),
        &valid_claims(),
        b"another-secret-that-is-32-bytes-long!!",
    );
    assert_eq!(rejection(&token), "bad signature");
}

#[test]
fn tampered_payload_is_rejected() {
    let token = service().issue(42, 1).unwrap().token;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("1");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64(claims.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(rejection(&forged), "bad signature");
}

#[test]
fn tampered_signature_is_rejected() {
    let token = service().issue(42, 1).unwrap().token;
    let (message, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let forged = format!("{message}.{flipped}{}", &signature[1..]);
    assert_eq!(rejection(&forged), "bad signature");
}

#[test]
fn token_without_signature_is_rejected() {
    let token = service().issue(42, 1).unwrap().token;
    let (message, _) = token.rsplit_once('.').unwrap();
    assert!(service().verify(&format!("{message}.")).is_err());
    assert!(service().verify(message).is_err());
}

#[test]
fn garbage_and_empty_tokens_are_rejected() {
    for token in ["", ".", "..", "a.b.c", "not a token", "Bearer x.y.z"] {
        assert!(service().verify(token).is_err(), "{token:?}");
    }
}

#[test]
fn oversized_token_is_rejected_before_parsing() {
    let huge = "a".repeat(MAX_TOKEN_LEN + 1);
    assert_eq!(rejection(&huge), "token too long");
}

#[test]
fn expired_token_is_rejected() {
    let now = unix_now();
    let payload = json!({"exp": now - 60, "iat": now - 700, "nbf": now - 700});
    let mut claims = valid_claims();
    claims
        .as_object_mut()
        .unwrap()
        .extend(payload.as_object().unwrap().clone());
    assert_eq!(rejection_of(claims), "expired");
}

#[test]
fn token_expired_by_less_than_the_leeway_is_accepted() {
    let claims = with("exp", json!(unix_now() - 2));
    service().verify(&sign(&hs256(), &claims, SECRET)).unwrap();
}

#[test]
fn token_not_valid_before_a_future_nbf_is_rejected() {
    assert_eq!(
        rejection_of(with("nbf", json!(unix_now() + 60))),
        "not valid yet"
    );
}

#[test]
fn token_issued_in_the_future_is_rejected() {
    assert_eq!(
        rejection_of(with("iat", json!(unix_now() + 60))),
        "issued in the future"
    );
}

#[test]
fn iat_slightly_ahead_within_the_leeway_is_accepted() {
    let claims = with("iat", json!(unix_now() + 2));
    service().verify(&sign(&hs256(), &claims, SECRET)).unwrap();
}

#[test]
fn wrong_issuer_is_rejected() {
    assert_eq!(
        rejection_of(with("iss", json!("someone-else"))),
        "wrong issuer"
    );
}

#[test]
fn wrong_audience_is_rejected() {
    assert_eq!(
        rejection_of(with("aud", json!("another-api"))),
        "wrong audience"
    );
}

#[test]
fn audience_list_is_rejected_even_if_it_contains_ours() {
    let claims = with("aud", json!(["mlx-manager-api", "another-api"]));
    assert!(rejection_of(claims).contains("malformed"));
}

#[test]
fn wrong_token_type_is_rejected() {
    assert_eq!(
        rejection_of(with("typ", json!("refresh"))),
        "not an access token"
    );
}

#[test]
fn non_numeric_subject_is_rejected() {
    assert_eq!(
        rejection_of(with("sub", json!("jane@example.com"))),
        "subject is not a user id"
    );
}

#[test]
fn string_timestamps_are_rejected() {
    assert!(rejection_of(with("exp", json!("9999999999"))).contains("exp"));
}

macro_rules! missing_claim_is_rejected {
    ($($name:ident: $claim:literal,)*) => {$(
        #[test]
        fn $name() {
            let reason = rejection_of(without($claim));
            assert!(reason.contains($claim), "{reason}");
        }
    )*};
}

missing_claim_is_rejected! {
    missing_exp_is_rejected: "exp",
    missing_iat_is_rejected: "iat",
    missing_nbf_is_rejected: "nbf",
    missing_sub_is_rejected: "sub",
    missing_iss_is_rejected: "iss",
    missing_aud_is_rejected: "aud",
    missing_typ_is_rejected: "typ",
    missing_jti_is_rejected: "jti",
    missing_sv_is_rejected: "sv",
}

#[test]
fn secret_shorter_than_32_bytes_is_refused() {
    let err = TokenKeys::new(&[7u8; 31]).unwrap_err();
    assert!(matches!(err, AuthError::SecretTooShort { len: 31, .. }));
}

#[test]
fn debug_output_does_not_reveal_the_secret() {
    let keys = TokenKeys::new(SECRET).unwrap();
    let service = TokenService::new(keys.clone(), TokenSettings::default());
    let as_text = std::str::from_utf8(SECRET).unwrap();
    let as_numbers = format!("{:?}", &SECRET[..4])
        .trim_matches(['[', ']'])
        .to_owned();
    for shown in [
        format!("{keys:?}"),
        format!("{service:?}"),
        format!("{service:#?}"),
    ] {
        assert!(
            !shown.contains(as_text) && !shown.contains(&as_numbers),
            "{shown}"
        );
        assert!(shown.contains("redacted"), "{shown}");
    }
}

#[test]
fn default_settings_match_the_documented_policy() {
    let settings = TokenSettings::default();
    assert_eq!(settings.issuer, "mlx-manager");
    assert_eq!(settings.audience, "mlx-manager-api");
    assert_eq!(settings.lifetime, Duration::from_secs(604_800));
    assert_eq!(settings.leeway_secs, 5);
}

#[test]
fn custom_issuer_and_audience_are_enforced() {
    let settings = TokenSettings {
        issuer: "other".into(),
        audience: "other-api".into(),
        ..TokenSettings::default()
    };
    let other = TokenService::new(TokenKeys::new(SECRET).unwrap(), settings);
    let token = other.issue(1, 0).unwrap().token;
    other.verify(&token).unwrap();
    assert_eq!(rejection(&token), "wrong issuer");
}
