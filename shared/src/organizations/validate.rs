//! The rules of an organization's fields; each check names its field.

use crate::{error::FieldError, types::Email};

/// Slugs that would shadow the app's own paths or impersonate the platform.
pub const RESERVED_SLUGS: &[&str] = &[
    "about",
    "account",
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "billing",
    "blog",
    "dashboard",
    "dev",
    "docs",
    "help",
    "login",
    "logout",
    "mail",
    "new",
    "org",
    "orgs",
    "platform",
    "public",
    "root",
    "settings",
    "signup",
    "static",
    "status",
    "support",
    "system",
    "www",
];

pub const MAX_URL_CHARS: usize = 2000;

/// Keeps a value that passed its rule, or records why it did not.
pub fn collect<T>(errors: &mut Vec<FieldError>, checked: Result<T, FieldError>) -> Option<T> {
    checked.map_err(|e| errors.push(e)).ok()
}

/// Trimmed text of 1 to `max_chars` characters without control characters
/// (line breaks are allowed).
pub fn text(field: &'static str, raw: &str, max_chars: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "give a non-empty value"));
    }
    if text.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("give at most {max_chars} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(field, "remove the control characters"));
    }
    Ok(text.to_string())
}

/// A slug, trimmed and lower-cased: 3 to 63 of `a-z`, `0-9` and `-`, neither
/// starting nor ending with `-`, and not reserved.
pub fn slug(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let slug = raw.trim().to_lowercase();
    if !(3..=63).contains(&slug.len()) {
        return Err(FieldError::new(field, "give 3 to 63 characters"));
    }
    if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(FieldError::new(
            field,
            "use only the letters a-z, digits and '-'",
        ));
    }
    if slug.starts_with('-') || slug.ends_with('-') {
        return Err(FieldError::new(field, "do not start or end with '-'"));
    }
    if RESERVED_SLUGS.contains(&slug.as_str()) {
        return Err(FieldError::new(
            field,
            format!("'{slug}' is reserved: choose another"),
        ));
    }
    Ok(slug)
}

/// An IANA time zone name, as the time zone database spells it.
pub fn timezone(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    jiff::tz::TimeZone::get(name)
        .map(|_| name.to_string())
        .map_err(|_| {
            FieldError::new(
                field,
                format!("'{name}' is not an IANA time zone, such as Europe/Paris"),
            )
        })
}

/// An absolute `http` or `https` URL with a host.
pub fn url(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let url = raw.trim();
    let invalid = || FieldError::new(field, "give an http:// or https:// URL");
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(invalid)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(FieldError::new(
            field,
            format!("give a URL of at most {MAX_URL_CHARS} characters"),
        ));
    }
    Ok(url.to_string())
}

/// A phone number in international form: `+` and 7 to 15 digits; spaces,
/// dashes, dots and parentheses are dropped.
pub fn phone(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let invalid = || {
        FieldError::new(
            field,
            "give an international number such as +33 1 23 45 67 89",
        )
    };
    let rest = raw.trim().strip_prefix('+').ok_or_else(invalid)?;
    let mut digits = String::from("+");
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(invalid()),
        }
    }
    if !(8..=16).contains(&digits.len()) {
        return Err(invalid());
    }
    Ok(digits)
}

pub fn email(field: &'static str, raw: &str) -> Result<String, FieldError> {
    Email::parse(field, raw).map(|e| e.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_normalized_and_checked() {
        assert_eq!(slug("slug", "  Corner-Bakery ").unwrap(), "corner-bakery");
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a_bc",
            "caf\u{e9}",
            "admin",
            "WWW",
            &"a".repeat(64),
        ] {
            assert!(slug("slug", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_phones_and_zones() {
        assert!(url("website", "https://example.com/a").is_ok());
        for bad in ["example.com", "https://", "ftp://x.y", "https://a b.c"] {
            assert!(url("website", bad).is_err(), "{bad}");
        }
        assert_eq!(phone("phone", "+33 1 23-45.67 89").unwrap(), "+33123456789");
        assert!(phone("phone", "0123456789").is_err());
        assert!(phone("phone", "+12").is_err());
        assert!(timezone("timezone", "Europe/Paris").is_ok());
        assert!(timezone("timezone", "Mars/Olympus").is_err());
    }
}
