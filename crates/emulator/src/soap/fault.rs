//! SOAP faults: HTTP 500 with `faultcode`/`faultstring` as Salesforce sends them.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::xml_out::fault_envelope;

/// A fault to answer instead of a response element. `code` is the faultcode value
/// (`sf:INVALID_TYPE`, `soapenv:Client`), `message` the faultstring.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SoapFault {
    pub code: String,
    pub message: String,
}

impl SoapFault {
    /// An `sf:` exception code; the faultstring repeats the code before the message,
    /// as Salesforce does (`INVALID_TYPE: …`).
    pub fn sf(exception_code: &str, message: impl AsRef<str>) -> Self {
        Self {
            code: format!("sf:{exception_code}"),
            message: format!("{exception_code}: {}", message.as_ref()),
        }
    }

    /// A request the SOAP layer itself could not read (bad XML, unknown operation).
    pub fn client(message: impl Into<String>) -> Self {
        Self { code: "soapenv:Client".into(), message: message.into() }
    }

    pub fn invalid_session() -> Self {
        Self::sf("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
    }

    pub fn invalid_type(type_name: &str) -> Self {
        Self::sf("INVALID_TYPE", format!("Unknown type name '{type_name}' specified in the request"))
    }

    pub fn invalid_cross_reference_key() -> Self {
        Self::sf("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    }

    pub fn invalid_operation(message: impl AsRef<str>) -> Self {
        Self::sf("INVALID_OPERATION", message)
    }

    pub fn unknown_exception(message: impl AsRef<str>) -> Self {
        Self::sf("UNKNOWN_EXCEPTION", message)
    }
}

impl IntoResponse for SoapFault {
    fn into_response(self) -> Response {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            fault_envelope(&self.code, &self.message),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_fault_matches_salesforce_text() {
        let fault = SoapFault::invalid_session();
        assert_eq!(fault.code, "sf:INVALID_SESSION_ID");
        assert_eq!(
            fault.message,
            "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session"
        );
        assert_eq!(fault.into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
