//! Opaque global ids (`Node.id`): base64url of "Type:uuid".

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

/// The global id of a record of type `kind`.
pub fn global_id(kind: &str, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{kind}:{id}")))
}

/// Splits a global id into its type and uuid; None when it is not one of ours. Only the
/// form `global_id` writes is accepted (the uuid hyphenated, in lower case), so that each
/// record has exactly one id.
pub fn parse_global_id(id: &str) -> Option<(String, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, written) = text.split_once(':')?;
    let uuid = Uuid::try_parse(written).ok()?;
    (uuid.hyphenated().to_string() == written).then(|| (kind.to_owned(), uuid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_reject_garbage() {
        let id = Uuid::new_v4();
        let gid = global_id("Child", id);
        assert_eq!(parse_global_id(&gid), Some(("Child".to_owned(), id)));
        assert_eq!(parse_global_id("not-an-id"), None);
        // One id per record: other spellings of the same uuid are not ids.
        for other in [
            id.simple().to_string(),
            id.braced().to_string(),
            id.urn().to_string(),
            id.hyphenated().to_string().to_uppercase(),
        ] {
            let spelled = URL_SAFE_NO_PAD.encode(format!("Child:{other}"));
            assert_eq!(parse_global_id(&spelled), None, "{other}");
        }
    }
}
