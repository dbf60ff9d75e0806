//! Persisted operations: Apollo's automatic persisted queries (a client sends the sha256 of a
//! document; the gateway remembers documents it has seen with their hash), and the safelist
//! mode, in which only the documents of a manifest run. A manifest is a JSON object from
//! sha256 (hex) to document text, as graphql-codegen's client preset and Relay write it;
//! `keycare operations manifest` builds one from `schema/operations/`, whose manifest is
//! built into the binary.

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::sync::Mutex;

/// The manifest of `schema/operations/` (kept equal to the folder by a test).
pub const BUILT_IN_MANIFEST: &str = include_str!("../../../schema/operations/manifest.json");

/// Documents remembered for automatic persisted queries, per replica.
const APQ_CAPACITY: usize = 2_000;

/// The sha256 of a document, as lowercase hex.
pub fn sha256_hex(document: &str) -> String {
    hex::encode(Sha256::digest(document.as_bytes()))
}

/// Why a request's document could not be found or may not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersistedError {
    /// A hash without its document, not known here (the client then sends both).
    #[error("PersistedQueryNotFound")]
    NotFound,
    /// The document is not in the safelist.
    #[error("this operation is not in the safelist of this gateway")]
    NotListed,
    /// The hash given is not the document's.
    #[error("provided sha does not match query")]
    HashMismatch,
    /// Neither a document nor a hash.
    #[error("a request needs a query (or a persisted query's hash)")]
    Missing,
}

impl PersistedError {
    pub fn code(&self) -> &'static str {
        match self {
            PersistedError::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            PersistedError::NotListed => "FORBIDDEN",
            PersistedError::HashMismatch | PersistedError::Missing => "BAD_USER_INPUT",
        }
    }
}

/// The safelist (when on) and the automatic persisted queries' memory.
pub struct Persisted {
    manifest: HashMap<String, String>,
    safelist: bool,
    seen: Mutex<(HashMap<String, String>, VecDeque<String>)>,
}

/// Reads a manifest: a JSON object of hash → document. Each hash must be the document's.
pub fn parse_manifest(text: &str, source: &str) -> anyhow::Result<HashMap<String, String>> {
    let map: HashMap<String, String> = serde_json::from_str(text)
        .with_context(|| format!("{source}: not a JSON object of sha256 → document"))?;
    for (hash, doc) in &map {
        anyhow::ensure!(
            sha256_hex(doc) == hash.to_ascii_lowercase(),
            "{source}: {hash} is not the sha256 of its document"
        );
    }
    Ok(map
        .into_iter()
        .map(|(h, d)| (h.to_ascii_lowercase(), d))
        .collect())
}

/// The manifest of every `.graphql` file under `dir`, sorted by hash.
pub fn build_manifest(dir: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "graphql") {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                out.insert(sha256_hex(&text), text);
            }
        }
    }
    Ok(out)
}

impl Persisted {
    /// The built-in manifest plus `extra` (a manifest file), and whether only they may run.
    pub fn load(safelist: bool, extra: Option<&Path>) -> anyhow::Result<Persisted> {
        let mut manifest = parse_manifest(BUILT_IN_MANIFEST, "schema/operations/manifest.json")?;
        if let Some(path) = extra {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!(
                    "setting operations_manifest (KEYCARE_OPERATIONS_MANIFEST): cannot read {}",
                    path.display()
                )
            })?;
            manifest.extend(parse_manifest(
                &text,
                &format!("operations_manifest {}", path.display()),
            )?);
        }
        Ok(Persisted {
            manifest,
            safelist,
            seen: Mutex::new((HashMap::new(), VecDeque::new())),
        })
    }

    /// The document a request runs: its own text (checked against its hash, if it gives one)
    /// or the document its hash names. In safelist mode only the manifest's documents run.
    pub fn resolve(&self, query: &str, hash: Option<&str>) -> Result<String, PersistedError> {
        let hash = hash.map(str::to_ascii_lowercase);
        let document = match (query.trim().is_empty(), hash) {
            (true, None) => return Err(PersistedError::Missing),
            (true, Some(hash)) => match self.manifest.get(&hash) {
                Some(doc) => doc.clone(),
                None if self.safelist => return Err(PersistedError::NotFound),
                None => self.recall(&hash).ok_or(PersistedError::NotFound)?,
            },
            (false, given) => {
                let actual = sha256_hex(query);
                if given.as_ref().is_some_and(|h| *h != actual) {
                    return Err(PersistedError::HashMismatch);
                }
                if self.safelist {
                    if !self.manifest.contains_key(&actual) {
                        return Err(PersistedError::NotListed);
                    }
                } else if given.is_some() {
                    self.remember(actual, query);
                }
                query.to_owned()
            }
        };
        Ok(document)
    }

    fn recall(&self, hash: &str) -> Option<String> {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.0.get(hash).cloned()
    }

    fn remember(&self, hash: String, document: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *seen;
        if map.contains_key(&hash) {
            return;
        }
        if order.len() >= APQ_CAPACITY
            && let Some(oldest) = order.pop_front()
        {
            map.remove(&oldest);
        }
        order.push_back(hash.clone());
        map.insert(hash, document.to_owned());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_manifest_is_the_operations_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/operations");
        let built = build_manifest(&dir).unwrap();
        let shipped: BTreeMap<String, String> = parse_manifest(BUILT_IN_MANIFEST, "built-in")
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(
            built.keys().collect::<Vec<_>>(),
            shipped.keys().collect::<Vec<_>>(),
            "schema/operations/manifest.json is stale: run `cargo run -- operations manifest > schema/operations/manifest.json`"
        );
    }

    #[test]
    fn automatic_persisted_queries_remember_what_they_were_sent() {
        let p = Persisted::load(false, None).unwrap();
        let doc = "{ me { name } }";
        let hash = sha256_hex(doc);
        assert_eq!(p.resolve("", Some(&hash)), Err(PersistedError::NotFound));
        assert_eq!(p.resolve(doc, Some(&hash)).unwrap(), doc);
        assert_eq!(p.resolve("", Some(&hash)).unwrap(), doc);
        assert_eq!(
            p.resolve(doc, Some(&sha256_hex("other"))),
            Err(PersistedError::HashMismatch)
        );
    }

    #[test]
    fn the_safelist_runs_listed_documents_only() {
        let p = Persisted::load(true, None).unwrap();
        let (hash, doc) = {
            let m = parse_manifest(BUILT_IN_MANIFEST, "built-in").unwrap();
            m.into_iter().next().unwrap()
        };
        assert_eq!(p.resolve("", Some(&hash)).unwrap(), doc);
        assert_eq!(p.resolve(&doc, None).unwrap(), doc);
        assert_eq!(
            p.resolve("{ me { name } }", None),
            Err(PersistedError::NotListed)
        );
        let unknown = sha256_hex("{ me { name } }");
        assert_eq!(p.resolve("", Some(&unknown)), Err(PersistedError::NotFound));
        // Sending an unlisted document with its hash does not list it.
        assert!(p.resolve("{ me { name } }", Some(&unknown)).is_err());
        assert_eq!(p.resolve("", Some(&unknown)), Err(PersistedError::NotFound));
    }
}
