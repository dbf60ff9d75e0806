//! Every example operation in schema/operations/ runs without error as the user of its
//! folder, so the examples front-end teams copy always work.

use crate::demo_app::DemoApp;
use keycare_seed::demo::id;
use serde_json::json;
use std::path::Path;

const USERS: &[(&str, &str)] = &[
    ("key_carer", "keycarer.oak@northshire.example"),
    ("manager", "manager.oak@northshire.example"),
    ("social_worker", "sw@northshire.example"),
    ("iro", "iro@northshire.example"),
];

#[tokio::test]
async fn every_example_operation_runs_as_its_user() {
    use base64::Engine;
    let app = DemoApp::spawn().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/operations");
    let child = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("Child:{}", id("northshire", "child", "amelia")));
    let now = chrono::Utc::now();
    let variables =
        json!({ "child": child, "now": now.to_rfc3339(), "today": now.date_naive().to_string() });
    let mut ran = 0;
    for (folder, user) in USERS {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no operations for {folder}");
        for file in files {
            let query = std::fs::read_to_string(&file).unwrap();
            // Only the variables the operation declares.
            let vars: serde_json::Map<String, serde_json::Value> = variables
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| query.contains(&format!("${k}")))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let (status, body) = app.gql(user, &query, serde_json::Value::Object(vars)).await;
            assert_eq!(status, 200, "{}: {body}", file.display());
            assert!(
                body["errors"].is_null(),
                "{} as {user}: {body}",
                file.display()
            );
            ran += 1;
        }
    }
    assert!(ran >= 8);
    app.stop().await;
}
