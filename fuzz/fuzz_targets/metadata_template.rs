//! Template filling of an admin-edited template, then the whole generation with it (schema
//! check, typed views, rendering, the deploy zip).
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use insights_metadata::config::{Overrides, Settings};
use insights_metadata::template::{Template, Templates, Value, fill};
use libfuzzer_sys::fuzz_target;

fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        let text = include_str!("../../insights.toml");
        Settings::from_toml(text, "insights.toml", &Overrides::default())
            .expect("the repository's insights.toml is valid")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let template = Template { name: "fuzz.xml".into(), text: text.to_owned() };
    let mut values = BTreeMap::new();
    values.insert("label", Value::One("A & <B>".into()));
    values.insert("empty", Value::One(String::new()));
    values.insert("scopes", Value::Many(vec!["Api".into(), "RefreshToken".into()]));
    let _ = fill(&template, &values);
    let mut templates = Templates::builtin();
    let slot = match data.len() % 3 {
        0 => &mut templates.connected_app,
        1 => &mut templates.permission_set,
        _ => &mut templates.package,
    };
    slot.text = text.to_owned();
    if let Ok(generated) = insights_metadata::generate(settings(), &templates) {
        let _ = generated.deploy_zip(None);
    }
});
