//! The org client reading a Metadata SOAP answer (deploy, checkDeployStatus, retrieve,
//! readMetadata, listMetadata results and faults) with any HTTP status and body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let status = match first % 4 {
        0 => 200,
        1 => 500,
        2 => 401,
        _ => 400 + u16::from(first),
    };
    let body = String::from_utf8_lossy(rest);
    let _ = insights_org_client::fuzzing::soap_answer(status, &body);
});
