//! The platform's domain crate: types, rules and use-cases of every workflow,
//! written against ports (traits), and the adapters that implement the ports.

pub mod access;
pub mod accounts;
pub mod adapters;
pub mod audit;
pub mod bookings;
pub mod clock;
mod deps;
pub mod due;
pub mod email;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod keys;
pub mod mail;
pub mod media;
pub mod notifications;
pub mod organizations;
pub mod outbox;
pub mod paging;
pub mod queue;
pub mod records;
pub mod roles;
pub mod secrets;
pub mod staff;
pub mod table;
pub mod template;
pub mod types;
pub mod worker;

pub use deps::{Config, Deps};
