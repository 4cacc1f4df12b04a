//! HTTP mapping of bookings (`shared::bookings`): one module per part of the
//! API, merged into one router.

mod bookings;
mod catalog;

use axum::Router;
use shared::Deps;

pub fn router(deps: Deps) -> Router {
    let routes = Router::new()
        .merge(catalog::routes(&deps))
        .merge(bookings::routes());
    shared::http::api(routes, deps)
}
