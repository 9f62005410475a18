//! State survives a restart on the same directory; users.toml is read on every start.

use crate::common::*;

#[tokio::test]
async fn org_state_survives_a_restart() {
    let org = Org::start().await;
    let admin_token = org.emulator.admin_access_token();
    let app = org.add_app("Durable_App", &AppXml::default().render());
    let set = org.add_permission_set("Durable_PS", &[&app.id], &[]);
    assert_eq!(org.assign(API_USER.0, &set).await.status(), 201);
    let refresh_token = org.tokens(&app, API_USER).await["refresh_token"].as_str().unwrap().to_string();
    let user_id = org.user_id(API_USER.0);
    let Org { emulator, dir, .. } = org;
    emulator.shutdown().await;

    // Change a password while the org is down.
    let users_path = dir.path().join("users.toml");
    let text = std::fs::read_to_string(&users_path).unwrap();
    std::fs::write(&users_path, text.replace("Api-User-Pass-1", "Changed-Pass-2")).unwrap();

    let org = Org::start_in(dir).await;
    assert_eq!(org.emulator.admin_access_token(), admin_token, "same admin session");
    assert_eq!(org.user_id(API_USER.0), user_id, "same ids");
    assert_eq!(org.assign(API_USER.0, &set).await.status(), 400, "assignment kept");
    assert_eq!(org.refresh(&app, &refresh_token, true).await.0, 200, "refresh token kept");
    assert!(org.login(&app, API_USER, &[]).await.is_err(), "old password refused");
    assert!(org.login(&app, (API_USER.0, "Changed-Pass-2"), &[]).await.is_ok());
}

#[tokio::test]
async fn a_broken_users_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("users.toml"),
        "admin_username = \"x@y\"\n[[users]]\nusername = \"x@y\"\npassword = \"p\"\nprofile = \"Missing\"\n",
    )
    .unwrap();
    let error = insights_emulator::Emulator::start(insights_emulator::EmulatorOptions {
        state_dir: dir.path().to_path_buf(),
        port: 0,
        test_controls: false,
    })
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("users.toml") && message.contains("Missing"), "{message}");
}
