//! The committed SDL (`schema/schema.graphql`) is the published contract: it must match the
//! code. Regenerate with `cargo run -- schema > schema/schema.graphql` after an API change.

#[test]
fn committed_sdl_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/schema.graphql");
    let code = crate::sdl();
    if std::env::var_os("KEYCARE_BLESS").is_some() {
        std::fs::write(path, &code).expect("write schema/schema.graphql");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == code,
        "schema/schema.graphql differs from the code's schema: regenerate it with \
         `cargo run -- schema > schema/schema.graphql` (or KEYCARE_BLESS=1 cargo test -p keycare-graphql) \
         and review the diff: front-end teams build on it"
    );
}
