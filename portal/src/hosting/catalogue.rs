//! The built-in application catalogue, read from `catalogue.toml` compiled into the binary.

use serde::Deserialize;

use super::CatalogueApp;

/// The catalogue file shipped with the portal.
pub const BUILT_IN_CATALOGUE: &str = include_str!("../../catalogue.toml");

/// A parsed catalogue.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Catalogue {
    /// Its applications, in file order.
    #[serde(rename = "app", default)]
    pub apps: Vec<CatalogueApp>,
}

impl Catalogue {
    /// Parses a catalogue file.
    ///
    /// # Errors
    ///
    /// The parser's message when the text is not a valid catalogue.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The catalogue shipped with the portal.
    pub fn built_in() -> Self {
        // The file is part of the binary and a test parses it, so a failure here is a
        // build defect; an empty catalogue keeps the portal up meanwhile.
        Self::parse(BUILT_IN_CATALOGUE).unwrap_or_else(|err| {
            tracing::error!(error = %err, "built-in catalogue does not parse");
            Self::default()
        })
    }

    /// The application called `name`.
    pub fn find(&self, name: &str) -> Option<&CatalogueApp> {
        self.apps.iter().find(|app| app.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogue_parses_with_unique_names_and_data_warnings() {
        let catalogue = Catalogue::parse(BUILT_IN_CATALOGUE).unwrap();
        assert!(catalogue.apps.len() >= 3);
        let mut names: Vec<_> = catalogue.apps.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), catalogue.apps.len());
        assert!(catalogue.apps.iter().all(|a| !a.data_on_remove.is_empty()));
    }
}
