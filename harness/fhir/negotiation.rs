//! Content negotiation exactly as Django REST framework does it for BB2's FHIR views
//! (behaviour file §6): renderers `application/fhir+json` then `application/json`; Accept
//! entries grouped by specificity (q-values are not weighed); the answer echoes the Accept
//! entry's parameters. An Accept nothing matches gets 406.

/// The renderers, in DRF order.
const RENDERERS: [&str; 2] = ["application/fhir+json", "application/json"];

/// The content type BB2 uses when nothing was negotiated (406 bodies).
pub const DEFAULT_CONTENT_TYPE: &str = "application/fhir+json";

/// One parsed media range of an Accept header (DRF `_MediaType`).
struct MediaRange<'a> {
    text: &'a str,
    main: &'a str,
    sub: &'a str,
    params: Vec<(String, &'a str)>,
}

impl<'a> MediaRange<'a> {
    fn parse(text: &'a str) -> MediaRange<'a> {
        let mut parts = text.split(';');
        let full = parts.next().unwrap_or_default().trim();
        let (main, sub) = full.split_once('/').unwrap_or((full, ""));
        let params = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim()))
            .collect();
        MediaRange {
            text,
            main,
            sub,
            params,
        }
    }

    /// DRF precedence: `*/*` 0, `type/*` 1, no parameters (or only `q`) 2, else 3.
    fn precedence(&self) -> u8 {
        if self.main == "*" {
            0
        } else if self.sub == "*" {
            1
        } else if self.params.iter().all(|(k, _)| k == "q") {
            2
        } else {
            3
        }
    }

    fn accepts(&self, renderer: &str) -> bool {
        let (main, sub) = renderer.split_once('/').unwrap_or((renderer, ""));
        (self.main == "*" || self.main == main) && (self.sub == "*" || self.sub == sub)
    }
}

/// The response content type for `accept` (absent means `*/*`), or `None` for 406.
pub fn negotiate(accept: Option<&str>) -> Option<String> {
    let accept = accept.unwrap_or("*/*");
    if accept.trim() == "*/*" {
        // The usual case, without parsing: any type and no parameters pick the first renderer.
        return RENDERERS.first().map(|renderer| (*renderer).to_owned());
    }
    let ranges: Vec<MediaRange<'_>> = accept
        .split(',')
        .map(str::trim)
        .map(MediaRange::parse)
        .collect();
    for precedence in (0..=3).rev() {
        let group: Vec<&MediaRange<'_>> = ranges
            .iter()
            .filter(|r| r.precedence() == precedence)
            .collect();
        for renderer in RENDERERS {
            if let Some(range) = group.iter().find(|r| r.accepts(renderer)) {
                // The renderer is more specific than `*/*` or `type/*`: its type plus the
                // range's parameters; otherwise the Accept entry itself.
                return Some(if precedence < 2 {
                    std::iter::once(renderer.to_owned())
                        .chain(range.params.iter().map(|(k, v)| format!("{k}={v}")))
                        .collect::<Vec<_>>()
                        .join(";")
                } else {
                    range.text.to_owned()
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_fhir_json() {
        assert_eq!(negotiate(None).as_deref(), Some("application/fhir+json"));
        assert_eq!(
            negotiate(Some("*/*")).as_deref(),
            Some("application/fhir+json")
        );
        assert_eq!(
            negotiate(Some("application/*")).as_deref(),
            Some("application/fhir+json")
        );
    }

    #[test]
    fn json_when_asked() {
        assert_eq!(
            negotiate(Some("application/json")).as_deref(),
            Some("application/json")
        );
        assert_eq!(
            negotiate(Some("application/json, application/fhir+json")).as_deref(),
            Some("application/fhir+json")
        );
    }

    #[test]
    fn parameters_are_echoed() {
        assert_eq!(
            negotiate(Some("application/fhir+json; fhirVersion=4.0")).as_deref(),
            Some("application/fhir+json; fhirVersion=4.0")
        );
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(
            negotiate(Some(browser)).as_deref(),
            Some("application/fhir+json;q=0.8")
        );
    }

    #[test]
    fn unacceptable() {
        assert_eq!(negotiate(Some("application/json+fhir")), None);
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/xml")), None);
    }
}
