//! Checks shared by the portal's forms; each returns the message shown next to the field.

use indexmap::IndexMap;

use crate::password::MIN_PASSWORD_CHARS;

/// Bad fields of a submitted form, by field name, with what to do about each, in the
/// order the checks ran (the order of the form), which the error summary keeps.
pub(crate) type FieldErrors = IndexMap<&'static str, String>;

/// Characters no single address a person types needs, which would let one field name
/// several recipients (`,`, `;`), carry a display name (`<`, `>`), or quote and route
/// (`"`, `(`, `)`, `[`, `]`, `\`, `:`).
const NOT_IN_EMAIL: &[char] = &[',', ';', '<', '>', '"', '(', ')', '[', ']', '\\', ':'];

/// What is wrong with `email` as one person's address, or `None` when it has the shape
/// of one: `local@domain.tld`, at most 254 bytes, no spaces, control characters or the
/// punctuation of address lists, and a domain name of letters (in any script), digits
/// and hyphens, not an IP address.
pub fn email_problem(email: &str) -> Option<&'static str> {
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("An email address has no spaces or control characters.");
    }
    if email.contains(NOT_IN_EMAIL) {
        return Some(
            "Give one email address only, without commas, semicolons, angle brackets, \
             quotes, brackets or colons.",
        );
    }
    if email.len() > 254 {
        return Some("That email address is too long.");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Some("An email address has an @ in it.");
    };
    if local.is_empty() || domain.contains('@') {
        return Some("An email address has one @, with your name before it.");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Some("After the @ comes a domain name, like example.org.");
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Some("After the @ comes a domain name, like example.org, not an IP address.");
    }
    None
}

/// Whether `email` has the shape of one person's email address (see [`email_problem`]),
/// as every form and `commons admin create` accept it.
pub fn looks_like_email(email: &str) -> bool {
    email_problem(email).is_none()
}

/// Checks an email field.
pub(crate) fn email(errors: &mut FieldErrors, field: &'static str, value: &str) {
    if !looks_like_email(value.trim()) {
        errors.insert(
            field,
            "Enter an email address like name@example.org.".into(),
        );
    }
}

/// Checks a new password and its confirmation.
pub(crate) fn new_password(errors: &mut FieldErrors, password: &str, confirm: &str) {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        errors.insert(
            "password",
            format!("Use at least {MIN_PASSWORD_CHARS} characters."),
        );
    } else if chars > 1024 {
        errors.insert("password", "Use at most 1024 characters.".into());
    }
    if confirm != password {
        errors.insert(
            "confirm",
            "The two passwords are different. Type the same one twice.".into(),
        );
    }
}

/// Checks a required text field of at most `max` characters.
pub(crate) fn text(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    label: &str,
    max: usize,
) {
    let value = value.trim();
    if value.is_empty() {
        errors.insert(field, format!("Enter {label}."));
    } else if value.chars().count() > max {
        errors.insert(field, format!("Use at most {max} characters for {label}."));
    } else if value.chars().any(char::is_control) {
        errors.insert(field, format!("Use only printable characters for {label}."));
    }
}

/// Whether `name` is a DNS label Kubernetes accepts as an object name, at most 40
/// characters so that prefixes and suffixes still fit.
pub(crate) fn is_dns_label(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A DNS-label slug made from a display name: `Friends of the Park!` → `friends-of-the-park`.
pub(crate) fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.chars().take(32).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() { "org".into() } else { slug }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        for good in [
            "a@b.example",
            "first.last+tag@council.gov.uk",
            "o'neil@my-council.example",
            "josé@bücherei.example",
            "用户@例子.广告",
        ] {
            assert!(looks_like_email(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.example",
            "a@.example",
            "a b@c.example",
            "a@b.example.",
            "a@b.org,c@d.org",
            "a@b.org;c@d.org",
            "a@b.org>x",
            "Ann <a@b.org>",
            "a@[127.0.0.1]",
            "a@127.0.0.1",
            "a@b@c.example",
            "a\0@b.example",
            "a@b.example\n",
            "a@b..example",
            "a@-b.example",
            "a@b_c.example",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn slugs_are_dns_labels() {
        assert_eq!(slugify("Friends of the Park!"), "friends-of-the-park");
        assert_eq!(slugify("  Ünïcode & Co "), "n-code-co");
        assert_eq!(slugify("!!!"), "org");
        assert!(is_dns_label(&slugify(&"long name ".repeat(20))));
        assert!(!is_dns_label("Bad_Name"));
        assert!(!is_dns_label("-x"));
    }

    #[test]
    fn each_bad_password_field_gets_its_own_message() {
        let mut errors = FieldErrors::new();
        new_password(&mut errors, "short", "other");
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["password", "confirm"],
            "in the order of the form"
        );
        let mut errors = FieldErrors::new();
        new_password(&mut errors, "long enough pass", "long enough pass");
        assert!(errors.is_empty());
    }
}
