//! Cursor pagination, the same for every collection endpoint.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub const MAX_PAGE: u32 = 100;
pub const DEFAULT_PAGE: u32 = 20;

/// `?limit=&cursor=` of a collection request.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PageParams {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl PageParams {
    /// The page size asked for: 1 to `MAX_PAGE`, `DEFAULT_PAGE` when absent.
    pub fn limit(&self) -> Result<u32> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::validation(
                "limit",
                format!("give a limit from 1 to {MAX_PAGE}"),
            ));
        }
        Ok(limit)
    }
}

/// One page of a collection; `next_cursor` is `Some` when more may follow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
