//! The Commons Kubernetes operator: reconciles `Tenant`, `Application` and `AppInstance`
//! custom resources.

pub mod crd;
pub mod desired;
pub mod render;
