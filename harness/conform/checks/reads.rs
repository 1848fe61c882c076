//! What the checks of the reads and the output share: how a failure names every offending
//! exchange, how a link compares with a request, and how the client's output compares with
//! what the server served and issued.

use crate::conform::check::{Level, Verdict};
use crate::conform::evidence::{ClientOutput, Evidence};
use crate::conform::traffic::ApiCall;
use crate::oauth::scopes::Resource;
use crate::server::journal::Exchange;
use std::collections::HashSet;

/// A failure naming the exchanges of every offence (each its exchanges and a description):
/// the first offence's description, and how many more there were. `None` without offences.
pub fn fail_all<I: IntoIterator<Item = u64>>(offences: Vec<(I, String)>) -> Option<Verdict> {
    let (_, first) = offences.first()?;
    let reason = match offences.len() {
        1 => first.clone(),
        n => format!("{first} (and {} more)", n - 1),
    };
    Some(Verdict::fail(
        reason,
        offences.into_iter().flat_map(|(ids, _)| ids),
    ))
}

/// `path?query` of a link URL, without its origin and fragment: what a client following it
/// verbatim sends as its request target.
pub fn link_target(url: &str) -> &str {
    let url = url.split('#').next().unwrap_or_default();
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |slash| &rest[slash..]),
        None => url,
    }
}

/// The `url` of every link (any relation) of an answer, in order.
pub fn links(call: &ApiCall) -> Vec<&str> {
    call.answer
        .as_ref()
        .and_then(|answer| answer.get("link"))
        .and_then(serde_json::Value::as_array)
        .map(|links| {
            links
                .iter()
                .filter_map(|link| link.get("url")?.as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// A header of the answer, as text.
pub fn answer_header<'a>(exchange: &'a Exchange, name: &str) -> Option<&'a str> {
    exchange.response.headers.get(name)?.to_str().ok()
}

/// The patient `Patient/<id>` or `<id>` names.
pub fn bare_patient(value: &str) -> &str {
    value.strip_prefix("Patient/").unwrap_or(value)
}

/// Checks that the client handled a 403 of `resource` (declined demographics, behaviour file
/// §10 item 4): it did not retry it in a loop, still read Coverage and ExplanationOfBenefit,
/// and ended normally. Skips when `resource` was never answered 403.
pub fn forbidden_handled(evidence: &Evidence, resource: Resource) -> Verdict {
    let traffic = evidence.traffic;
    let name = resource.name();
    let forbidden: Vec<u64> = traffic
        .api_calls
        .iter()
        .filter(|c| c.resource == resource && c.status == 403)
        .map(|c| c.exchange)
        .collect();
    if forbidden.is_empty() {
        return Verdict::skip(format!("{name} was never answered 403"));
    }
    if forbidden.len() > 2 {
        return Verdict::fail(
            format!(
                "{name} was requested {} times after 403 answers (at most 2)",
                forbidden.len()
            ),
            forbidden,
        );
    }
    for other in [Resource::Coverage, Resource::ExplanationOfBenefit] {
        if traffic.successful(other).next().is_none() {
            return Verdict::fail(
                format!(
                    "{} was never read (200) after {name} answered 403",
                    other.name()
                ),
                forbidden,
            );
        }
    }
    // A client that ended abnormally right after the 403 (no API call followed it) crashed
    // on it; one that went on to other calls and failed later failed for another reason.
    let last_forbidden = forbidden.last().copied().unwrap_or_default();
    let went_on = traffic
        .api_calls
        .iter()
        .any(|c| c.exchange > last_forbidden);
    if !evidence.client.succeeded() && !went_on {
        return Verdict::fail(
            format!(
                "the client ended right after {name} answered 403: {}",
                evidence.client.describe()
            ),
            forbidden,
        );
    }
    Verdict::pass(format!(
        "{name} answered 403, the client went on to read Coverage and ExplanationOfBenefit"
    ))
    .with_exchanges(forbidden)
}

/// The level of a data check: required with output, recommended when the client wrote none.
pub fn output_level(evidence: &Evidence) -> Level {
    match evidence.output {
        ClientOutput::Json(_) => Level::Required,
        ClientOutput::Missing(_) => Level::Recommended,
    }
}

/// The reason a data check cannot judge the output, when it is missing.
pub fn output_missing(evidence: &Evidence) -> Option<Verdict> {
    match evidence.output {
        ClientOutput::Json(_) => None,
        ClientOutput::Missing(why) => Some(Verdict::fail(format!("not testable: {why}"), [])),
    }
}

/// Compares the output's `patient_id` with the patient the token endpoint issued (`null`
/// when the beneficiary denied access or no patient was issued). `Err` names the mismatch
/// and the token exchanges that show it.
pub fn compare_patient(evidence: &Evidence) -> Result<(), (String, Vec<u64>)> {
    let traffic = evidence.traffic;
    let issuing: Vec<u64> = traffic
        .token_requests
        .iter()
        .filter(|t| t.succeeded() && t.answer_field("patient").is_some())
        .map(|t| t.exchange)
        .collect();
    let issued = traffic.issued_patients();
    let Some(written) = evidence.output.patient_id() else {
        return Err((
            "the output's patient_id is missing or neither a string nor null".to_owned(),
            issuing,
        ));
    };
    let expected_null = !evidence.scenario.login.approve || issued.is_empty();
    match written {
        None if expected_null => Ok(()),
        Some(id) if !expected_null && issued.contains(&id) => Ok(()),
        None => Err((
            format!(
                "the output's patient_id is null, the token endpoint issued {}",
                issued.join(", ")
            ),
            issuing,
        )),
        Some(id) if expected_null => Err((
            format!("the output's patient_id is {id}, expected null (no patient was shared)"),
            issuing,
        )),
        Some(id) => Err((
            format!(
                "the output's patient_id is {id}, the token endpoint issued {}",
                issued.join(", ")
            ),
            issuing,
        )),
    }
}

/// Compares the output's `field` (`coverage_ids`, `eob_ids`) as a set with the ids of
/// `resource` the server served: no duplicates, none missing, none extra. `Err` names the
/// mismatch and the exchanges that served the missing ids.
pub fn compare_ids(
    evidence: &Evidence,
    field: &str,
    resource: Resource,
) -> Result<(), (String, Vec<u64>)> {
    let traffic = evidence.traffic;
    let Some(written) = evidence.output.ids(field) else {
        return Err((
            format!("the output's {field} is missing or not a list of strings"),
            Vec::new(),
        ));
    };
    let mut seen = HashSet::new();
    if let Some(twice) = written.iter().find(|id| !seen.insert(**id)) {
        return Err((
            format!("the output's {field} lists {twice} twice"),
            Vec::new(),
        ));
    }
    let served = traffic.served_ids(resource);
    let missing: Vec<&String> = served
        .iter()
        .filter(|id| !seen.contains(id.as_str()))
        .collect();
    if let Some(first) = missing.first() {
        let serving: Vec<u64> = traffic
            .successful(resource)
            .filter(|c| c.resource_ids().iter().any(|id| missing.contains(&id)))
            .map(|c| c.exchange)
            .collect();
        return Err((
            format!(
                "the output's {field} lacks {} of the {} ids served (first: {first})",
                missing.len(),
                served.len()
            ),
            serving,
        ));
    }
    let served: HashSet<&str> = served.iter().map(String::as_str).collect();
    let extra: Vec<&&str> = written.iter().filter(|id| !served.contains(**id)).collect();
    if let Some(first) = extra.first() {
        return Err((
            format!(
                "the output's {field} has {} ids never served (first: {first})",
                extra.len()
            ),
            Vec::new(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_drop_origin_and_fragment() {
        assert_eq!(
            link_target("http://127.0.0.1:8000/v2/fhir/Coverage?_count=10&startIndex=10#x"),
            "/v2/fhir/Coverage?_count=10&startIndex=10"
        );
        assert_eq!(link_target("https://example.org"), "/");
        assert_eq!(link_target("/v2/fhir/Patient"), "/v2/fhir/Patient");
    }

    #[test]
    fn gzip_codings() {
        assert!(crate::server::compression::accepts_gzip(Some("gzip")));
        assert!(crate::server::compression::accepts_gzip(Some(
            "deflate, GZIP;q=0.5"
        )));
        assert!(!crate::server::compression::accepts_gzip(Some("gzip;q=0")));
        assert!(!crate::server::compression::accepts_gzip(Some("identity")));
        assert!(!crate::server::compression::accepts_gzip(None));
    }

    #[test]
    fn offences_are_counted() {
        assert_eq!(fail_all(Vec::<([u64; 1], String)>::new()), None);
        let verdict = fail_all(vec![([3], "bad".to_owned()), ([1], "worse".to_owned())]);
        assert_eq!(
            verdict,
            Some(Verdict::fail("bad (and 1 more)".to_owned(), [1, 3]))
        );
    }
}
