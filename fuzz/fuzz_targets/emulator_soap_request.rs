//! The emulator reading a SOAP request envelope, then the deploy's base64 `ZipFile` in it.
#![no_main]

use insights_emulator::soap::{envelope, zip_package};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = envelope::parse_request(data) {
        if let Some(zip) = request.operation.child("ZipFile") {
            if let Ok(bytes) = zip_package::decode_base64(&zip.text) {
                let _ = zip_package::read_zip(&bytes);
            }
        }
    }
});
