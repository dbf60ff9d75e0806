//! `keycare schema` prints the committed SDL, schema/schema.graphql.

use crate::support::{keycare, repo_root};

#[tokio::test]
async fn keycare_schema_prints_the_committed_schema_graphql() {
    let path = repo_root().join("schema/schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} cannot be read ({e}); regenerate it with `cargo run -- schema > schema/schema.graphql`",
            path.display()
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let out = keycare(dir.path())
        .arg("schema")
        .output()
        .expect("run keycare schema");
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success() && printed == committed,
        "`keycare schema` differs from {}: regenerate it with `cargo run -- schema > schema/schema.graphql`",
        path.display()
    );
}
