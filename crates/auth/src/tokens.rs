//! Access tokens: HS256 JWTs with a short, explicit validation policy.
//!
//! The algorithm is pinned to HS256 and checked against the header before anything else, so
//! `alg: none`, algorithm confusion (an RS256 header over an HMAC signature) and every other
//! algorithm are refused. All registered claims are required; `typ` keeps other kinds of
//! token (should we ever sign any) from being accepted as access tokens, and `sv` (session
//! version) lets the server revoke every token of a user by bumping a number.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{AuthError, random};

/// The only algorithm we sign with and accept.
const ALGORITHM: Algorithm = Algorithm::HS256;
/// The `typ` claim of access tokens.
pub const ACCESS_TOKEN_TYPE: &str = "access";
/// Our tokens are a few hundred bytes; refusing huge ones keeps verification cheap.
const MAX_TOKEN_LEN: usize = 4096;

/// The HMAC key, kept out of `Debug` output (jsonwebtoken's own key types print it).
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenKeys {
    /// Keys from a secret of at least 32 bytes (HS256's output size, RFC 7518 §3.2).
    pub fn new(secret: &[u8]) -> Result<Self, AuthError> {
        if secret.len() < crate::secret::MIN_SECRET_LEN {
            return Err(AuthError::SecretTooShort {
                what: "the JWT signing secret".into(),
                len: secret.len(),
            });
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKeys { secret: [redacted] }")
    }
}

/// What tokens are issued for and how long they live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    pub lifetime: Duration,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`; keep it to seconds.
    pub leeway_secs: u64,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            issuer: "mlx-manager".into(),
            audience: "mlx-manager-api".into(),
            lifetime: Duration::from_secs(7 * 24 * 60 * 60),
            leeway_secs: 5,
        }
    }
}

/// The claims of an access token. Every field is required when decoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user's id as a decimal string (ids, unlike e-mails, never change or leak).
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub iss: String,
    pub aud: String,
    /// Always [`ACCESS_TOKEN_TYPE`].
    pub typ: String,
    /// 128 random bits in hex: names this token, e.g. for a deny list.
    pub jti: String,
    /// The user's session version when the token was issued; a token whose `sv` is behind the
    /// user's current one has been revoked.
    pub sv: i32,
}

impl AccessClaims {
    /// The user id in `sub`.
    pub fn user_id(&self) -> Result<i32, AuthError> {
        self.sub
            .parse()
            .map_err(|_| AuthError::InvalidToken("subject is not a user id".into()))
    }
}

/// A freshly signed token and what a client needs to know about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub jti: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub expires_in: u64,
}

/// Issues and verifies access tokens.
#[derive(Clone, Debug)]
pub struct TokenService {
    keys: TokenKeys,
    settings: TokenSettings,
    validation: Validation,
}

impl TokenService {
    pub fn new(keys: TokenKeys, settings: TokenSettings) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_required_spec_claims(&["exp", "nbf", "sub", "iss", "aud"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.leeway = settings.leeway_secs;
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        Self {
            keys,
            settings,
            validation,
        }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// How long newly issued tokens live.
    pub fn lifetime(&self) -> Duration {
        self.settings.lifetime
    }

    /// Signs a token for `user_id` valid from now for the configured lifetime.
    pub fn issue(&self, user_id: i32, session_version: i32) -> Result<IssuedToken, AuthError> {
        let now = unix_now();
        let expires_in = self.settings.lifetime.as_secs();
        let expires_at = now.saturating_add(i64::try_from(expires_in).unwrap_or(i64::MAX));
        let jti = hex::encode(random::random_bytes::<16>()?);
        let claims = AccessClaims {
            sub: user_id.to_string(),
            exp: expires_at,
            iat: now,
            nbf: now,
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            typ: ACCESS_TOKEN_TYPE.into(),
            jti: jti.clone(),
            sv: session_version,
        };
        let token = jsonwebtoken::encode(&Header::new(ALGORITHM), &claims, &self.keys.encoding)
            .map_err(|e| AuthError::TokenSigning(e.to_string()))?;
        Ok(IssuedToken {
            token,
            jti,
            expires_at,
            expires_in,
        })
    }

    /// Checks signature, algorithm and every claim; returns the claims of a valid token.
    /// The error's reason is for logs; clients should only be told the token is invalid.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let invalid = |reason: &str| AuthError::InvalidToken(reason.to_owned());
        if token.len() > MAX_TOKEN_LEN {
            return Err(invalid("token too long"));
        }
        // Pinned before the library looks at the key: only HS256 headers go further.
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid("malformed header or unknown algorithm"))?;
        if header.alg != ALGORITHM {
            return Err(invalid("algorithm not allowed"));
        }
        let claims =
            jsonwebtoken::decode::<AccessClaims>(token, &self.keys.decoding, &self.validation)
                .map_err(|e| AuthError::InvalidToken(describe(e.kind())))?
                .claims;

        // What jsonwebtoken does not check.
        let leeway = i64::try_from(self.settings.leeway_secs).unwrap_or(i64::MAX);
        let now = unix_now();
        if claims.iat > now.saturating_add(leeway) {
            return Err(invalid("issued in the future"));
        }
        if claims.exp.saturating_add(leeway) < now {
            return Err(invalid("expired"));
        }
        if claims.typ != ACCESS_TOKEN_TYPE {
            return Err(invalid("not an access token"));
        }
        claims.user_id()?;
        Ok(claims)
    }
}

fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "expired".into(),
        ErrorKind::ImmatureSignature => "not valid yet".into(),
        ErrorKind::InvalidSignature => "bad signature".into(),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "algorithm not allowed".into()
        }
        ErrorKind::InvalidIssuer => "wrong issuer".into(),
        ErrorKind::InvalidAudience => "wrong audience".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("missing claim {claim}"),
        ErrorKind::InvalidClaimFormat(claim) => format!("malformed claim {claim}"),
        ErrorKind::Json(e) => format!("malformed claims: {e}"),
        _ => "malformed token".into(),
    }
}

fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
