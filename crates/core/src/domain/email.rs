//! `Email`: an e-mail address normalised once at the edge.
//!
//! Two addresses that look the same must be the same account, or one of them must be refused:
//!
//! - **NFKC, then lower case, then NFKC again**: fullwidth `ａｄｍｉｎ`, the Kelvin sign and
//!   other compatibility forms fold to their plain letters, and `café` typed precomposed (NFC)
//!   or decomposed (NFD) is one address. Lower-casing can leave a string unnormalised (`İ`
//!   becomes `i` + U+0307), hence the second pass.
//! - **Only characters that UTS #39's General Security Profile allows in identifiers**,
//!   outside ASCII: this refuses invisible and formatting characters (zero-width space and
//!   joiners, soft hyphen, bidi controls, byte order marks, variation selectors), control
//!   characters, symbols and obsolete scripts, in the local part and in the domain.
//! - **A single-script local part** (UTS #39 mixed-script detection, "resolved script set"):
//!   Latin with a Cyrillic `а` is refused. Characters common to all scripts (digits, `.`,
//!   `-`, `+`, combining marks) go with any script, and Han with kana is one Japanese script.
//!
//! Look-alikes within one script (Latin `admın` with a dotless i, all-Cyrillic `аdmіn`) pass
//! these rules: [`Email::is_confusable_with`] compares UTS #39 skeletons, so that registering
//! one next to an existing account can be refused.
//!
//! The tables come from the `unicode-normalization` and `unicode-security` crates (the ones
//! rustc uses for its identifier lints), not from a list kept here.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_security::{GeneralSecurityProfile, MixedScript};

use crate::CoreError;

/// A normalised e-mail address: trimmed, NFKC, lower-cased, syntactically valid, without
/// invisible characters or a mixed-script local part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let invalid = |message: String| CoreError::Invalid {
            field: "email",
            message,
        };
        // Before any work: normalisation may grow a string up to 18-fold.
        if raw.len() > 4 * Self::MAX_LEN {
            return Err(invalid("must be at most 254 characters".into()));
        }
        let normalised = Self::normal_form(raw);
        if normalised.is_empty() {
            return Err(invalid("must not be empty".into()));
        }
        if normalised.len() > Self::MAX_LEN {
            return Err(invalid("must be at most 254 characters".into()));
        }
        if let Some(c) = normalised
            .chars()
            .find(|&c| !c.is_ascii() && !c.identifier_allowed())
        {
            return Err(invalid(format!(
                "must not contain invisible, formatting or unusual characters (found U+{:04X})",
                u32::from(c)
            )));
        }
        let options = email_address::Options::default().without_display_text();
        if !email_address::EmailAddress::is_valid(&normalised)
            || email_address::EmailAddress::parse_with_options(&normalised, options).is_err()
        {
            return Err(invalid("is not a valid e-mail address".into()));
        }
        let (local, _domain) = normalised.rsplit_once('@').unwrap_or_default();
        if !local.is_single_script() {
            return Err(invalid(
                "the part before @ mixes letters of different scripts (such as Latin and \
                 Cyrillic), which lets addresses look like others"
                    .into(),
            ));
        }
        Ok(Self(normalised))
    }

    /// An address read back from the database, as it was stored. Rows written before the
    /// current rules (a look-alike registered earlier) must stay readable, so that an admin
    /// can see, rename or delete them; new input always goes through [`Email::parse`].
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    /// Trim, NFKC, lower case, NFKC: the form addresses are stored and compared in (no
    /// validation; [`Email::parse`] does that on this form).
    pub fn normal_form(raw: &str) -> String {
        let compatible: String = raw.trim().nfkc().collect();
        compatible.to_lowercase().nfkc().collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the two addresses are different but look alike: the same UTS #39 skeleton
    /// (`admın` and `admin`, Cyrillic `аdmіn` and Latin `admin`). Two plain-ASCII addresses
    /// are never confusable here: `rn`/`m` or `l`/`1` pairs among them were always allowed,
    /// and refusing them now would be a surprise rather than a defence.
    pub fn is_confusable_with(&self, other: &Email) -> bool {
        self != other
            && !(self.0.is_ascii() && other.0.is_ascii())
            && self.skeleton() == other.skeleton()
    }

    /// The UTS #39 skeleton: what the address looks like, with look-alike characters mapped
    /// to one prototype. A dot above on a soft-dotted `i` or `j` (what `İ` lower-cases to) is
    /// dropped as well, since it covers the letter's own dot (UTS #39 §5.4, optional detection).
    pub fn skeleton(&self) -> String {
        let mut skeleton = String::with_capacity(self.0.len());
        for c in unicode_security::skeleton(&self.0) {
            if c == COMBINING_DOT_ABOVE && skeleton.ends_with(['i', 'j']) {
                continue;
            }
            skeleton.push(c);
        }
        skeleton
    }
}

const COMBINING_DOT_ABOVE: char = '\u{307}';

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Email::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
