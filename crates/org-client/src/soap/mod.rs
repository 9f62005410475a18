//! The Metadata SOAP API transport: envelopes out, response elements or typed faults back.

pub mod requests;

#[cfg(test)]
mod tests;

use crate::OrgError;
use crate::client::{HttpAnswer, OrgClient, Resend, foreign_answer};
use crate::error::body_excerpt;
use crate::xml_tree::{self, Element};

impl OrgClient {
    /// Posts one Metadata API call and returns its `<operationResponse>` element.
    pub(crate) async fn soap_call(
        &self,
        operation: &str,
        body: &str,
        resend: Resend,
    ) -> Result<Element, OrgError> {
        let url = self.soap_url();
        let answer = self
            .send(operation, resend, |http| {
                http.post(&url)
                    .header("Content-Type", "text/xml; charset=UTF-8")
                    .header("SOAPAction", "\"\"")
                    .body(requests::envelope(self.token(), body))
            })
            .await?;
        read_soap_answer(operation, &answer)
    }
}

/// Reads a SOAP answer: the response element, or a typed fault.
pub(crate) fn read_soap_answer(operation: &str, answer: &HttpAnswer) -> Result<Element, OrgError> {
    let unexpected = |reason: String| {
        tracing::debug!(operation, status = answer.status, body = %body_excerpt(&answer.body), "unreadable SOAP answer");
        OrgError::UnexpectedResponse {
            operation: operation.to_owned(),
            reason,
            body: body_excerpt(&answer.body),
        }
    };
    if answer.status != 401
        && let Some(error) = foreign_answer(operation, answer)
    {
        return Err(error);
    }
    let envelope = match xml_tree::parse(&answer.body) {
        Ok(envelope) => envelope,
        Err(_) if answer.status == 401 => {
            return Err(OrgError::SessionInvalid { detail: "HTTP 401".into() });
        }
        Err(_) if answer.status != 200 => {
            return Err(OrgError::HttpStatus {
                operation: operation.to_owned(),
                status: answer.status,
                body: body_excerpt(&answer.body),
            });
        }
        Err(reason) => {
            tracing::debug!(operation, %reason, "the SOAP answer is not well-formed XML");
            return Err(unexpected("the answer is cut short or is not XML".into()));
        }
    };
    let body = envelope.child("Body").ok_or_else(|| unexpected("no SOAP Body".into()))?;
    if let Some(fault) = body.child("Fault") {
        return Err(fault_error(operation, fault));
    }
    if answer.status != 200 {
        return Err(OrgError::HttpStatus {
            operation: operation.to_owned(),
            status: answer.status,
            body: body_excerpt(&answer.body),
        });
    }
    let response_name = format!("{operation}Response");
    body.child(&response_name).cloned().ok_or_else(|| unexpected(format!("no <{response_name}> in the Body")))
}

fn fault_error(operation: &str, fault: &Element) -> OrgError {
    let fault_code = fault.child_text("faultcode").unwrap_or_default().to_owned();
    let fault_string = fault.child_text("faultstring").unwrap_or_default().to_owned();
    if fault_code.ends_with("INVALID_SESSION_ID") {
        return OrgError::SessionInvalid { detail: fault_string };
    }
    OrgError::SoapFault { operation: operation.to_owned(), fault_code, fault_string }
}

/// Reads a boolean child (`true`/`false`); absent or other text is `false`.
pub(crate) fn flag(element: &Element, name: &str) -> bool {
    element.child_text(name) == Some("true")
}

/// Reads an integer child; absent or unreadable is 0.
pub(crate) fn number(element: &Element, name: &str) -> u32 {
    element.child_text(name).and_then(|text| text.parse().ok()).unwrap_or(0)
}

/// Reads an optional text child (empty text counts as absent).
pub(crate) fn text(element: &Element, name: &str) -> Option<String> {
    element.child_text(name).filter(|text| !text.is_empty()).map(str::to_owned)
}
