//! HTTP mapping of bookings (`shared::bookings`): one module per part of the
//! API, merged into one router.

mod analytics;
mod bookings;
mod calendar;
mod catalog;
mod changes;
mod customers;

use axum::Router;
use shared::Deps;

pub fn router(deps: Deps) -> Router {
    let routes = Router::new()
        .merge(catalog::routes(&deps))
        .merge(customers::routes(&deps))
        .merge(analytics::routes())
        .merge(bookings::routes())
        .merge(changes::routes(&deps))
        .merge(calendar::routes(&deps));
    shared::http::api(routes, deps)
}
