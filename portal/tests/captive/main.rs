//! The captive pages through the router, on SQLite and PostgreSQL: each way of signing
//! up, the hand-off to each kind of access point, remembered devices, the refusals and
//! limits, the RFC 8908 API and probes, safe branding, and the weight of every page.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

mod guest;
mod journeys;
mod pages;
mod refusals;
