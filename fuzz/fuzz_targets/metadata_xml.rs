//! The metadata XML parser, rendering, and the typed views read from any document.
#![no_main]

use insights_metadata::model::{ConnectedApp, Package, PermissionSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(root) = insights_metadata::xml::parse(text) {
        let _ = insights_metadata::xml::render(&root);
    }
    let _ = ConnectedApp::from_xml("Fuzz_App", text, "connectedApps/Fuzz_App.connectedApp");
    let _ = PermissionSet::from_xml("Fuzz_Set", text, "permissionsets/Fuzz_Set.permissionset");
    let _ = Package::from_xml(text, "package.xml");
});
