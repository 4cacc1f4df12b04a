//! Validated newtypes: a value of one of these types has passed its rules, so the
//! code past the HTTP edge never re-checks it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// An email address, trimmed and lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let invalid = |why: &str| {
            FieldError::new(
                field,
                format!("{why}: give an address like name@example.com"),
            )
        };
        if email.is_empty() {
            return Err(invalid("the email is empty"));
        }
        if email.len() > 254 {
            return Err(invalid("the email is longer than 254 characters"));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(invalid("the email has no @"));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c));
        if !local_ok || !domain_ok {
            return Err(invalid("the email is not a valid address"));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: 8 to 128 characters. Never stored, only hashed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(FieldError::new(
                field,
                format!(
                    "the password has {chars} characters; use {} to {}",
                    Self::MIN_CHARS,
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A person's display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(FieldError::new(field, "the name is empty"));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("the name is longer than {} characters", Self::MAX_CHARS),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "the name contains control characters",
            ));
        }
        Ok(PersonName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An amount of money in integer minor units (cents) of an ISO 4217 currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: i64,
    /// Three upper-case letters (`EUR`).
    pub currency: String,
}

impl Money {
    pub fn parse(field: &'static str, amount: i64, currency: &str) -> Result<Self, FieldError> {
        if amount < 0 {
            return Err(FieldError::new(field, "the amount is negative"));
        }
        let currency = currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(FieldError::new(
                field,
                "the currency is not an ISO 4217 code: give three letters like EUR",
            ));
        }
        Ok(Money { amount, currency })
    }

    /// How many digits of the amount are minor units (ISO 4217): 0 for
    /// JPY, 3 for KWD, else 2.
    fn decimals(&self) -> u32 {
        const NONE: &[&str] = &[
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
            "VND", "VUV", "XAF", "XOF", "XPF",
        ];
        const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
        let currency = self.currency.as_str();
        if NONE.contains(&currency) {
            0
        } else if THREE.contains(&currency) {
            3
        } else {
            2
        }
    }
}

/// `25.00 EUR`, `1500 JPY`: the amount in major units, as a person reads it.
impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let decimals = self.decimals();
        let unit = 10_i64.pow(decimals);
        let (major, minor) = (self.amount / unit, (self.amount % unit).abs());
        if decimals == 0 {
            write!(f, "{major} {}", self.currency)
        } else {
            write!(
                f,
                "{major}.{minor:0width$} {}",
                self.currency,
                width = decimals as usize
            )
        }
    }
}

/// Whether `raw` has the shape of an id we issue (`Ids`: UUIDs), so that a
/// client's id never builds an oversized or odd key; anything else is unknown.
pub fn is_id(raw: &str) -> bool {
    (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            Email::parse("email", "  Ada@Example.COM ")
                .unwrap()
                .as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@ex..com",
            "ada@.com",
        ] {
            let err = Email::parse("email", bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad}");
        }
    }

    #[test]
    fn money_reads_in_the_currency_major_units() {
        let money = |amount, currency| Money::parse("price", amount, currency).unwrap().to_string();
        assert_eq!(money(2500, "eur"), "25.00 EUR");
        assert_eq!(money(5, "USD"), "0.05 USD");
        assert_eq!(money(1500, "JPY"), "1500 JPY");
        assert_eq!(money(12345, "KWD"), "12.345 KWD");
        assert_eq!(money(0, "GBP"), "0.00 GBP");
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(Password::parse("password", "1234567").is_err());
        assert!(Password::parse("password", "12345678").is_ok());
        assert!(Password::parse("password", &"é".repeat(128)).is_ok());
        assert!(Password::parse("password", &"é".repeat(129)).is_err());
    }

    #[test]
    fn ids_are_short_and_plain() {
        assert!(is_id("0190f2c1-7a80-7000-8000-000000000001"));
        assert!(!is_id(""));
        assert!(!is_id(&"a".repeat(65)));
        assert!(!is_id("USER#1"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("name", "  Ada ").unwrap().as_str(), "Ada");
        assert!(PersonName::parse("name", "   ").is_err());
        assert!(PersonName::parse("name", &"x".repeat(101)).is_err());
        assert!(PersonName::parse("name", "a\u{0}b").is_err());
    }
}
