//! Test controls under `/__emulator/` (only with `test_controls`).

use axum::Router;

use crate::state::AppState;

/// Routes of the test controls.
pub fn router() -> Router<AppState> {
    Router::new()
}
