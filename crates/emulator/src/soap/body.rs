//! Reading a SOAP request body within the size limit, answering a fault (not a dropped
//! connection) when it is too large.

use std::pin::Pin;

use axum::body::{Body, HttpBody};

use super::fault::SoapFault;
use crate::server::MAX_BODY_BYTES;

/// How much of an oversized body is read and thrown away so the client can finish sending
/// and read the fault; past this the connection is simply closed.
const DRAIN_LIMIT: usize = 4 * MAX_BODY_BYTES;

/// The whole body, or a fault when it exceeds [`MAX_BODY_BYTES`] or cannot be read.
pub async fn read_limited(mut body: Body) -> Result<Vec<u8>, SoapFault> {
    let mut bytes = Vec::new();
    let mut seen: usize = 0;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame
            .map_err(|error| SoapFault::client(format!("The request body could not be read: {error}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= MAX_BODY_BYTES {
            bytes.extend_from_slice(&data);
        } else {
            bytes = Vec::new();
            if seen > DRAIN_LIMIT {
                break;
            }
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The fault for a body over the limit.
pub fn too_large() -> SoapFault {
    SoapFault::sf(
        "EXCEEDED_MAX_SIZE_REQUEST",
        format!("The request body exceeds the maximum size of {MAX_BODY_BYTES} bytes"),
    )
}
