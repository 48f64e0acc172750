//! Typed row identifiers, so an organisation id cannot be passed where a user id is due.

use serde::{Deserialize, Serialize};

macro_rules! row_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            sqlx::Type,
        )]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

row_id! {
    /// Identifies a user.
    UserId,
    /// Identifies an organisation.
    OrgId,
    /// Identifies a plan.
    PlanId,
    /// Identifies a Wi-Fi site.
    SiteId,
    /// Identifies a RADIUS NAS client.
    NasId,
}
