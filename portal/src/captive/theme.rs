//! A site's branding made safe to render: colours only as checked `#rrggbb` values with
//! readable text colours worked out for them (WCAG 2.2 contrast), and texts split into
//! paragraphs at blank lines, to be escaped by the templates.

use commons_store::{MIN_CONTRAST, SiteBranding, contrast_ratio};
use serde::Serialize;

/// Colours used when a stored one is not a `#rrggbb` value.
const DEFAULT_PRIMARY: &str = "#1d4f91";
const DEFAULT_BACKGROUND: &str = "#ffffff";
const DARK: &str = "#0b0c0c";
const LIGHT: &str = "#ffffff";

/// The colours of a site's pages, each a checked `#rrggbb`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Theme {
    /// Page background.
    pub(crate) background: String,
    /// Body text on the background.
    pub(crate) text: String,
    /// Links and the page's accent line.
    pub(crate) link: String,
    /// Button background.
    pub(crate) button: String,
    /// Button text.
    pub(crate) on_button: String,
}

impl Theme {
    /// The theme of a page that belongs to no site.
    pub(crate) fn plain() -> Self {
        Self {
            background: DEFAULT_BACKGROUND.to_owned(),
            text: DARK.to_owned(),
            link: DEFAULT_PRIMARY.to_owned(),
            button: DEFAULT_PRIMARY.to_owned(),
            on_button: LIGHT.to_owned(),
        }
    }

    /// The theme of `branding`, falling back to safe colours for anything unusable.
    pub(crate) fn new(branding: &SiteBranding) -> Self {
        let primary = rgb(&branding.colour_primary)
            .map_or(DEFAULT_PRIMARY, |_| branding.colour_primary.as_str());
        let background = rgb(&branding.colour_background)
            .map_or(DEFAULT_BACKGROUND, |_| branding.colour_background.as_str());
        let text = most_readable_on(background);
        // The store refuses a primary colour that is hard to read on the background, but
        // a row written before that check, or by hand, still gets readable links.
        let (link, button) = if contrast(primary, background) >= MIN_CONTRAST {
            (primary, primary)
        } else {
            (text, text)
        };
        Self {
            background: background.to_ascii_lowercase(),
            text: text.to_owned(),
            link: link.to_ascii_lowercase(),
            button: button.to_ascii_lowercase(),
            on_button: most_readable_on(button).to_owned(),
        }
    }
}

/// The red, green and blue of a `#rrggbb` colour.
fn rgb(colour: &str) -> Option<[u8; 3]> {
    let hex = colour
        .strip_prefix('#')
        .filter(|hex| hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))?;
    let [_, red, green, blue] = u32::from_str_radix(hex, 16).ok()?.to_be_bytes();
    Some([red, green, blue])
}

/// The contrast ratio of two checked colours, 1 to 21.
fn contrast(a: &str, b: &str) -> f64 {
    match (rgb(a), rgb(b)) {
        (Some(a), Some(b)) => contrast_ratio(a, b),
        _ => 1.0,
    }
}

/// Near-black or white, whichever reads better on `background`; either gives at least
/// 4.5:1 on any colour.
fn most_readable_on(background: &str) -> &'static str {
    if contrast(DARK, background) >= contrast(LIGHT, background) {
        DARK
    } else {
        LIGHT
    }
}

/// A text as paragraphs: split at blank lines, each trimmed, empty ones dropped. Line
/// breaks inside a paragraph are kept for the page to show.
pub(crate) fn paragraphs(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n");
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line.trim_end());
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join("\n"));
    }
    paragraphs
}

#[cfg(test)]
mod tests {
    use commons_store::SiteId;

    use super::*;

    fn branding(primary: &str, background: &str) -> SiteBranding {
        SiteBranding {
            site_id: SiteId(1),
            version: 1,
            display_name: "Library".into(),
            colour_primary: primary.into(),
            colour_background: background.into(),
            terms: String::new(),
            privacy: String::new(),
            logo_mime: None,
            created_at: 0,
        }
    }

    #[test]
    fn anything_but_rrggbb_falls_back_and_never_reaches_the_page() {
        let theme = Theme::new(&branding("red;}body{display:none", "</style><x>"));
        assert_eq!(theme.background, DEFAULT_BACKGROUND);
        assert_eq!(theme.link, DEFAULT_PRIMARY);
        for colour in [
            &theme.background,
            &theme.text,
            &theme.link,
            &theme.on_button,
        ] {
            assert!(rgb(colour).is_some(), "{colour}");
        }
    }

    #[test]
    fn text_and_buttons_stay_readable() {
        let dark = Theme::new(&branding("#ffdd00", "#0b0c0c"));
        assert_eq!(dark.text, LIGHT);
        assert_eq!(dark.button, "#ffdd00");
        assert_eq!(dark.on_button, DARK);
        let weak = Theme::new(&branding("#eeeeee", "#ffffff"));
        assert_eq!(
            weak.link, DARK,
            "a pale accent on white is not used for text"
        );
        assert!(contrast(&weak.button, &weak.on_button) >= MIN_CONTRAST);
    }

    #[test]
    fn blank_lines_separate_paragraphs() {
        let text = "First line\r\nsame paragraph\r\n\r\n  \n\nSecond.\n\n";
        assert_eq!(paragraphs(text), ["First line\nsame paragraph", "Second."]);
        assert!(paragraphs("   \n").is_empty());
    }
}
