//! The searchset Bundle envelope (behaviour file §4): id, meta, type, total, link, entry.

use crate::fhir::paging::{LinkStyle, Page, link_url};
use crate::fhir::resources::DATA_LAST_UPDATED;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// A searchset Bundle of `resources` (one page), with links on `base`.
pub fn searchset(
    style: LinkStyle,
    id: &str,
    base: &str,
    page: &Page,
    search: &[(&str, &str)],
    resources: Vec<Value>,
) -> Value {
    let links: Vec<Value> = page
        .links()
        .into_iter()
        .map(|(relation, start)| {
            let url = link_url(style, base, page, relation, start, search);
            json!({"relation": relation, "url": url})
        })
        .collect();
    let mut bundle = json!({
        "resourceType": "Bundle",
        "id": id,
        "meta": {"lastUpdated": DATA_LAST_UPDATED},
        "type": "searchset",
        "total": page.total,
        "link": links,
    });
    if let Some(object) = bundle.as_object_mut().filter(|_| !resources.is_empty()) {
        // Each resource moves into its entry (`json!` would copy it, member by member).
        let entries = resources
            .into_iter()
            .map(|resource| Value::Object(Map::from_iter([("resource".to_owned(), resource)])))
            .collect();
        object.insert("entry".to_owned(), Value::Array(entries));
    }
    bundle
}

/// A deterministic UUID-shaped Bundle id from the seed and what was asked.
pub fn bundle_id(seed: u64, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_bundle_has_links_and_no_entry() {
        let page = Page {
            start: 0,
            count: 10,
            total: 0,
        };
        let style = LinkStyle {
            profile: crate::scenario::Profile::Documented,
            start_given: false,
        };
        let bundle = searchset(
            style,
            "x",
            "http://h/v2/fhir/ExplanationOfBenefit",
            &page,
            &[],
            Vec::new(),
        );
        assert_eq!(bundle["total"], 0);
        assert!(bundle.get("entry").is_none());
        assert_eq!(bundle["link"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn ids_are_uuid_shaped_and_stable() {
        let id = bundle_id(1, &["a", "b"]);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_eq!(id, bundle_id(1, &["a", "b"]));
        assert_ne!(id, bundle_id(2, &["a", "b"]));
    }
}
