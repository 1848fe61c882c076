//! The cache of rendered FHIR answers and their gzip bodies (DESIGN "Fast").
//!
//! A FHIR read or search answers with bytes that depend only on the request's path (API
//! version, resource, id), its raw query, its origin (the links), the negotiated content type
//! and the token's beneficiary, once the token, the method, the scope and the rate limit let
//! it through; the live world (scenario, seed, profile) is fixed for the cache's life, since
//! [`Live`](super::Live) holds the cache and a reset or a load builds a new one. So the answer
//! is rendered once per key and served from here afterwards; its gzip body is computed at the
//! first request that asks for gzip, and kept with it.
//!
//! The cache is bounded by bytes ([`PAGE_CACHE_BYTES`]: bodies, gzip bodies and keys) and
//! sharded ([`quick_cache`]): no lock shared by every request.

use crate::exchange::{HEADER_ROOM, Response};
use crate::server::compression;
use bytes::Bytes;
use quick_cache::sync::Cache;
use quick_cache::{Equivalent, Weighter};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

/// How many bytes of pages and gzip bodies (with their keys) the cache holds at most.
pub const PAGE_CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// What an entry weighs besides its bytes: the key's and value's structures, the headers.
const ENTRY_OVERHEAD: u64 = 256;

/// A typical entry, to size the cache's tables (a page of 10 claims is about 118 KB, 17 KB
/// gzipped; a Patient about 4 KB; most answers are small).
const TYPICAL_ENTRY_BYTES: u64 = 8 * 1024;

/// Everything the bytes of a FHIR answer depend on, borrowed from the request being answered.
#[derive(Debug, Clone, Copy)]
pub struct PageKeyRef<'a> {
    /// The path as received: API version, resource type and id (and the Bundle id).
    pub path: &'a str,
    /// The raw query string: paging, filters, the echoed search (and the Bundle id).
    pub query: Option<&'a str>,
    /// The origin the client used: every link is built on it.
    pub origin: &'a str,
    /// The negotiated content type (DRF echoes the Accept entry's parameters).
    pub content_type: &'a str,
    /// Whose data: the patient id of the token's beneficiary (in one world, a patient id is
    /// one beneficiary).
    pub patient_id: &'a str,
}

impl PageKeyRef<'_> {
    fn to_owned_key(self) -> PageKey {
        PageKey {
            path: self.path.into(),
            query: self.query.map(Into::into),
            origin: self.origin.into(),
            content_type: self.content_type.into(),
            patient_id: self.patient_id.into(),
        }
    }

    /// The key's own bytes, counted in the entry's weight.
    fn bytes(&self) -> u64 {
        let text = self.path.len()
            + self.query.map_or(0, str::len)
            + self.origin.len()
            + self.content_type.len()
            + self.patient_id.len();
        text as u64
    }
}

impl Hash for PageKeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.path.hash(state);
        self.query.hash(state);
        self.origin.hash(state);
        self.content_type.hash(state);
        self.patient_id.hash(state);
    }
}

impl PartialEq for PageKeyRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
            && self.query == other.query
            && self.origin == other.origin
            && self.content_type == other.content_type
            && self.patient_id == other.patient_id
    }
}

impl Eq for PageKeyRef<'_> {}

/// A [`PageKeyRef`] the cache owns.
#[derive(Debug)]
struct PageKey {
    path: Box<str>,
    query: Option<Box<str>>,
    origin: Box<str>,
    content_type: Box<str>,
    patient_id: Box<str>,
}

impl PageKey {
    fn borrowed(&self) -> PageKeyRef<'_> {
        PageKeyRef {
            path: &self.path,
            query: self.query.as_deref(),
            origin: &self.origin,
            content_type: &self.content_type,
            patient_id: &self.patient_id,
        }
    }
}

impl Hash for PageKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.borrowed().hash(state);
    }
}

impl PartialEq for PageKey {
    fn eq(&self, other: &Self) -> bool {
        self.borrowed() == other.borrowed()
    }
}

impl Eq for PageKey {}

impl Equivalent<Arc<PageKey>> for PageKeyRef<'_> {
    fn equivalent(&self, key: &Arc<PageKey>) -> bool {
        *self == key.borrowed()
    }
}

/// One rendered answer and, once a client asked for it, its gzip body.
#[derive(Debug)]
struct Page {
    key: Arc<PageKey>,
    response: Response,
    /// The gzip body (`None` when the encoder failed), computed at the first gzip request.
    gzip: OnceLock<Option<Bytes>>,
    /// Fixed when the entry is made, as the cache requires.
    weight: u64,
}

impl Page {
    fn new(key: Arc<PageKey>, response: Response, gzip: OnceLock<Option<Bytes>>) -> Page {
        let gzip_bytes = gzip.get().and_then(Option::as_ref).map_or(0, Bytes::len);
        let weight = key.borrowed().bytes()
            + response.body.len() as u64
            + gzip_bytes as u64
            + ENTRY_OVERHEAD;
        Page {
            key,
            response,
            gzip,
            weight,
        }
    }
}

/// Weighs an entry by its bytes.
#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl Weighter<Arc<PageKey>, Arc<Page>> for ByBytes {
    fn weight(&self, _key: &Arc<PageKey>, page: &Arc<Page>) -> u64 {
        page.weight
    }
}

/// Rendered FHIR answers and their gzip bodies, bounded by bytes, sharded.
pub struct PageCache {
    pages: Cache<Arc<PageKey>, Arc<Page>, ByBytes>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("entries", &self.pages.len())
            .field("bytes", &self.pages.weight())
            .finish()
    }
}

impl PageCache {
    /// An empty cache holding at most `bytes` bytes of entries.
    pub fn new(bytes: u64) -> PageCache {
        let items = usize::try_from((bytes / TYPICAL_ENTRY_BYTES).max(16)).unwrap_or(usize::MAX);
        PageCache {
            pages: Cache::with_weighter(items, bytes, ByBytes),
        }
    }

    /// How many bytes its entries weigh now (at most the bound it was made with).
    pub fn bytes(&self) -> u64 {
        self.pages.weight()
    }

    /// How many answers it holds now.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }
}

impl Default for PageCache {
    /// An empty cache of [`PAGE_CACHE_BYTES`].
    fn default() -> PageCache {
        PageCache::new(PAGE_CACHE_BYTES)
    }
}

/// One request's use of the cache: the page it was answered with, remembered so that its
/// gzip body is taken from (or kept in) the cache too.
#[derive(Debug)]
pub struct Served<'a> {
    /// `None`: nothing is taken from or kept in a cache.
    cache: Option<&'a PageCache>,
    page: OnceLock<Arc<Page>>,
}

impl<'a> Served<'a> {
    /// A request about to be answered with `cache`.
    pub fn new(cache: &'a PageCache) -> Served<'a> {
        Served {
            cache: Some(cache),
            page: OnceLock::new(),
        }
    }

    /// A request answered without a cache: every answer is rendered and compressed afresh
    /// (what a benchmark of rendering wants).
    pub fn uncached() -> Served<'static> {
        Served {
            cache: None,
            page: OnceLock::new(),
        }
    }

    /// The cached answer for `key`, if one was rendered before.
    pub fn cached(&self, key: &PageKeyRef<'_>) -> Option<Response> {
        let page = self.cache?.pages.get(key)?;
        let mut response = page.response.clone();
        // A clone's map has room for its headers only; the way out adds a dozen more.
        response.headers.reserve(HEADER_ROOM);
        let _ = self.page.set(page);
        Some(response)
    }

    /// Keeps `response`, just rendered, as the answer for `key`.
    pub fn keep(&self, key: &PageKeyRef<'_>, response: &Response) {
        let Some(cache) = self.cache else { return };
        let key = Arc::new(key.to_owned_key());
        let page = Arc::new(Page::new(
            Arc::clone(&key),
            response.clone(),
            OnceLock::new(),
        ));
        cache.pages.insert(key, Arc::clone(&page));
        let _ = self.page.set(page);
    }

    /// The gzip body of `body`: the cached one when `body` is the very page this request was
    /// answered with (a stub's overlay may have replaced it), computed once and kept; else
    /// computed now.
    pub fn gzip(&self, body: &Bytes) -> Option<Bytes> {
        let Some(page) = self
            .page
            .get()
            .filter(|page| same_bytes(&page.response.body, body))
        else {
            return compression::gzip(body).map(Bytes::from);
        };
        if let Some(gzip) = page.gzip.get() {
            return gzip.clone();
        }
        let gzip = compression::gzip(body).map(Bytes::from);
        if page.gzip.set(gzip.clone()).is_ok()
            && let Some(cache) = self.cache
        {
            // An entry's weight is fixed: a new entry, with the gzip body, replaces it.
            let heavier = Page::new(
                Arc::clone(&page.key),
                page.response.clone(),
                OnceLock::from(gzip.clone()),
            );
            cache.pages.insert(Arc::clone(&page.key), Arc::new(heavier));
        }
        gzip
    }
}

/// Whether `a` and `b` are the same bytes in memory. Bytes never change, and the page holds
/// its own alive, so the same address and length are the same content.
fn same_bytes(a: &Bytes, b: &Bytes) -> bool {
    a.as_ptr() == b.as_ptr() && a.len() == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox;
    use http::StatusCode;

    fn bene(login: &str) -> String {
        sandbox::patient_id_for_login(login).unwrap()
    }

    fn key<'a>(patient_id: &'a str, query: &'a str) -> PageKeyRef<'a> {
        PageKeyRef {
            path: "/v2/fhir/ExplanationOfBenefit/",
            query: Some(query),
            origin: "http://127.0.0.1:8000",
            content_type: "application/fhir+json",
            patient_id,
        }
    }

    fn page(len: usize) -> Response {
        Response::with_body(
            StatusCode::OK,
            "application/fhir+json",
            "{}".repeat(len / 2),
        )
    }

    #[test]
    fn every_key_part_tells_pages_apart() {
        let jane = bene("BBUser00000");
        let other = bene("BBUser00001");
        let base = key(&jane, "_count=10");
        let variants = [
            PageKeyRef {
                path: "/v1/fhir/ExplanationOfBenefit/",
                ..base
            },
            PageKeyRef {
                query: Some("_count=5"),
                ..base
            },
            PageKeyRef {
                query: None,
                ..base
            },
            PageKeyRef {
                origin: "http://localhost:8000",
                ..base
            },
            PageKeyRef {
                content_type: "application/json",
                ..base
            },
            PageKeyRef {
                patient_id: &other,
                ..base
            },
        ];
        let cache = PageCache::default();
        Served::new(&cache).keep(&base, &page(100));
        for variant in &variants {
            assert_ne!(*variant, base);
            assert!(Served::new(&cache).cached(variant).is_none(), "{variant:?}");
        }
        let same = jane.clone();
        assert!(
            Served::new(&cache)
                .cached(&key(&same, "_count=10"))
                .is_some()
        );
    }

    #[test]
    fn bounded_by_bytes() {
        let bound = 256 * 1024;
        let cache = PageCache::new(bound);
        let bene = bene("BBUser00000");
        for i in 0..200 {
            let query = format!("startIndex={i}");
            Served::new(&cache).keep(&key(&bene, &query), &page(20_000));
            assert!(cache.bytes() <= bound, "{} > {bound}", cache.bytes());
        }
        assert!(cache.len() < 200);
        assert!(!cache.is_empty());
    }

    #[test]
    fn gzip_is_computed_once_and_kept_with_the_page() {
        let cache = PageCache::default();
        let bene = bene("BBUser00000");
        let key = key(&bene, "_count=10");
        let rendered = page(5000);
        let first = Served::new(&cache);
        first.keep(&key, &rendered);
        let weight_before = cache.bytes();
        let fresh = compression::gzip(&rendered.body).map(Bytes::from);
        assert_eq!(first.gzip(&rendered.body), fresh);
        assert!(cache.bytes() > weight_before, "the gzip body is weighed");

        let second = Served::new(&cache);
        let cached = second.cached(&key).map(|r| r.body);
        let body = cached.unwrap_or_default();
        let gzip = second.gzip(&body);
        assert_eq!(gzip, fresh);
        // The very bytes kept in the cache, not a new compression.
        let again = Served::new(&cache);
        let body_again = again.cached(&key).map(|r| r.body).unwrap_or_default();
        let kept = again.gzip(&body_again);
        assert!(matches!((&gzip, &kept), (Some(a), Some(b)) if same_bytes(a, b)));
    }

    #[test]
    fn uncached_keeps_nothing() {
        let bene = bene("BBUser00000");
        let key = key(&bene, "_count=10");
        let served = Served::uncached();
        let rendered = page(5000);
        served.keep(&key, &rendered);
        assert!(served.cached(&key).is_none());
        assert_eq!(
            served.gzip(&rendered.body),
            compression::gzip(&rendered.body).map(Bytes::from)
        );
    }

    #[test]
    fn a_replaced_body_is_compressed_afresh() {
        let cache = PageCache::default();
        let bene = bene("BBUser00000");
        let key = key(&bene, "_count=10");
        let served = Served::new(&cache);
        served.keep(&key, &page(5000));
        let overlaid = Bytes::from("[]".repeat(3000));
        assert_eq!(
            served.gzip(&overlaid),
            compression::gzip(&overlaid).map(Bytes::from)
        );
        // Nor is the page's own gzip body taken from the overlay.
        let cached = Served::new(&cache);
        let body = cached.cached(&key).map(|r| r.body).unwrap_or_default();
        assert_eq!(
            cached.gzip(&body),
            compression::gzip(&body).map(Bytes::from)
        );
    }
}
