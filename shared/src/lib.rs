//! The platform's domain crate: types, rules and use-cases of every workflow,
//! written against ports (traits), and the adapters that implement the ports.

pub mod adapters;
pub mod clock;
pub mod mail;
pub mod queue;
pub mod secrets;
pub mod table;
pub mod template;
