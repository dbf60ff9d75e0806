//! Opaque global ids (`Node.id`): base64url of "Type:uuid".

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

/// The global id of a record of type `kind`.
pub fn global_id(kind: &str, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{kind}:{id}")))
}

/// Splits a global id into its type and uuid; None when it is not one of ours.
pub fn parse_global_id(id: &str) -> Option<(String, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, uuid) = text.split_once(':')?;
    Some((kind.to_owned(), Uuid::parse_str(uuid).ok()?))
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
    }
}
