//! The fields of a submitted captive form, kept in order and whole, since the access
//! point's own parameters ride along as `ap.*` fields.

use serde::Serialize;

/// The prefix of the access point's parameters carried through the forms.
const CARRIED_PREFIX: &str = "ap.";

/// A submitted form.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fields(pub(crate) Vec<(String, String)>);

impl Fields {
    /// Reads a URL-encoded body.
    pub(crate) fn parse(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, if sent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of `name`, trimmed, or empty.
    pub(crate) fn text(&self, name: &str) -> &str {
        self.get(name).map_or("", str::trim)
    }

    /// Whether the checkbox `name` was ticked (sent as `yes`).
    pub(crate) fn ticked(&self, name: &str) -> bool {
        self.get(name) == Some("yes")
    }
}

/// What a person typed, shown again when a form is refused.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Typed {
    /// The form they were typed into: `terms`, `email` or `voucher`.
    pub(crate) form: &'static str,
    /// The email address.
    pub(crate) email: String,
    /// The voucher code.
    pub(crate) voucher: String,
    /// Whether the terms box was ticked.
    pub(crate) accept: bool,
    /// Whether the remember box was ticked.
    pub(crate) remember: bool,
}

impl Typed {
    /// The values of `fields`, sent with form `form`, worth showing again (never a code
    /// sent by email).
    pub(crate) fn from_fields(fields: &Fields, form: &str) -> Self {
        let form = match form {
            "terms" => "terms",
            "email" | "verify" => "email",
            "voucher" => "voucher",
            _ => "",
        };
        Self {
            form,
            email: shown_again(fields.text("email"), 254),
            voucher: shown_again(fields.text("code"), 64),
            accept: fields.ticked("accept"),
            remember: fields.ticked("remember"),
        }
    }
}

/// Up to `max` characters of `text` to put back into a field, without control
/// characters, which a page must not carry raw.
fn shown_again(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// The query string that brings someone back to the landing page with the access
/// point's parameters, made from the carried `ap.*` fields.
pub(crate) fn landing_query(carried: &[(String, String)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in carried {
        query.append_pair(name.strip_prefix(CARRIED_PREFIX).unwrap_or(name), value);
    }
    query.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_in_order_and_checkboxes_need_yes() {
        let fields = Fields::parse(b"accept=yes&remember=on&email=+a%40b.example+&ap.mac=1");
        assert!(fields.ticked("accept"));
        assert!(!fields.ticked("remember"));
        assert_eq!(fields.text("email"), "a@b.example");
        assert_eq!(fields.get("missing"), None);
        let typed = Typed::from_fields(&fields, "verify");
        assert_eq!((typed.form, typed.email.as_str()), ("email", "a@b.example"));
    }

    #[test]
    fn control_characters_are_not_shown_again() {
        let fields = Fields::parse(b"email=a%00b%40c.example%1b&code=AB%07CD");
        let typed = Typed::from_fields(&fields, "email");
        assert_eq!(
            (typed.email.as_str(), typed.voucher.as_str()),
            ("ab@c.example", "ABCD")
        );
    }

    #[test]
    fn carried_fields_become_the_landing_query_again() {
        let carried = vec![
            ("ap.uamip".to_owned(), "10.1.0.1".to_owned()),
            ("ap.userurl".to_owned(), "http://example.org/a b".to_owned()),
        ];
        assert_eq!(
            landing_query(&carried),
            "uamip=10.1.0.1&userurl=http%3A%2F%2Fexample.org%2Fa+b"
        );
    }
}
