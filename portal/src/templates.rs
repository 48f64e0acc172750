//! Server-rendered pages: templates compiled into the binary, HTML-escaped by default.

use minijinja::Environment;
use serde::Serialize;

use crate::Error;

/// The portal's templates.
pub(crate) struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub(crate) fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in [
            ("base.html", include_str!("../templates/base.html")),
            ("message.html", include_str!("../templates/message.html")),
            ("setup.html", include_str!("../templates/setup.html")),
        ] {
            // The sources are part of the binary; a syntax error is a build defect that
            // the template tests catch.
            if let Err(err) = env.add_template(name, source) {
                tracing::error!(template = name, error = %err, "template does not compile");
            }
        }
        Self { env }
    }

    /// Renders `name` with `context`.
    pub(crate) fn render(&self, name: &str, context: impl Serialize) -> Result<String, Error> {
        Ok(self.env.get_template(name)?.render(context)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_escapes_html() {
        let templates = Templates::new();
        let page = templates
            .render(
                "message.html",
                minijinja::context! { title => "<b>x</b>", message => "m" },
            )
            .unwrap();
        assert!(
            page.contains("&lt;b&gt;x") && !page.contains("<b>"),
            "{page}"
        );
        let errors = std::collections::BTreeMap::<String, String>::new();
        templates
            .render(
                "setup.html",
                minijinja::context! { first_admin => true, errors },
            )
            .unwrap();
    }
}
