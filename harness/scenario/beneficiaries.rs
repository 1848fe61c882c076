//! The `beneficiaries` list of a scenario file: logins, patient ids, names and exact claim
//! counts.

use crate::claim_type::{ClaimCounts, ClaimType};
use crate::sandbox;
use crate::scenario::model::BeneficiarySpec;
use crate::scenario::reader::{Located, Reader, integer, join, then};
use crate::scenario::yaml::ScalarKind;
use marked_yaml::Node;

const BENEFICIARY_KEYS: &[&str] = &["username", "password", "patient_id", "name", "claims"];
const MAX_CLAIMS_PER_TYPE: u32 = 1_000_000;

/// A beneficiary entry: the beneficiary if it is valid, and its username and patient id if
/// they are (checked for uniqueness even when the rest of the entry is not valid).
struct Read {
    spec: Option<BeneficiarySpec>,
    username: Option<Located<String>>,
    patient_id: Option<Located<String>>,
}

/// The beneficiaries of the file (usernames and patient ids unique).
pub fn beneficiaries(r: &mut Reader, node: &Node, key: &str) -> Option<Vec<BeneficiarySpec>> {
    let read = r.list(node, key, beneficiary)?;
    let entries = || read.iter().flatten().map(|read| &read.value);
    r.unique(entries().filter_map(|b| b.username.as_ref()), "username");
    r.unique(
        entries().filter_map(|b| b.patient_id.as_ref()),
        "patient_id",
    );
    read.into_iter().map(|read| read?.value.spec).collect()
}

fn beneficiary(r: &mut Reader, node: &Node, key: &str) -> Option<Read> {
    let map = r.mapping(node, key, BENEFICIARY_KEYS)?;
    let username = r.required(map, key, "username", then(Reader::string, login_name));
    let password = r.optional(map, key, "password", Reader::string);
    let patient_id = r.required(map, key, "patient_id", then(id_text, patient_id));
    let name = r.optional(map, key, "name", then(Reader::string, full_name));
    let claims = r.optional(map, key, "claims", claims);
    let password = username.as_ref().and_then(|username| {
        password.or_else(|| {
            let default = sandbox::password_for_login(&username.value);
            if default.is_none() {
                let note = " (only sandbox logins BBUserNNNNN have a default)";
                r.missing(map, key, "password", note);
            }
            default
        })
    });
    let spec = username
        .as_ref()
        .zip(patient_id.as_ref())
        .and_then(|(username, id)| {
            Some(BeneficiarySpec {
                username: username.value.clone(),
                password: password?,
                patient_id: id.value.clone(),
                name: name.map(Some).or(None)?,
                claims: claims.map(Some).or(None)?,
            })
        });
    Some(Read {
        spec,
        username,
        patient_id,
    })
}

fn login_name(name: String) -> Result<String, String> {
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        Err("expected a login name without spaces".to_owned())
    } else {
        Ok(name)
    }
}

/// A patient id, as written: quoted, or a plain integer such as `-20140000008325`.
fn id_text(r: &mut Reader, node: &Node, key: &str) -> Option<String> {
    match node.as_scalar() {
        Some(id) if ScalarKind::of(id) == ScalarKind::Int => Some(id.as_str().to_owned()),
        _ => r.string(node, key),
    }
}

fn patient_id(id: String) -> Result<String, String> {
    let digits = id.strip_prefix('-').unwrap_or(&id);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(format!(
            "expected a BFD patient id (digits with an optional leading `-`), found `{id}`"
        ))
    }
}

fn full_name(name: String) -> Result<String, String> {
    if name.split_whitespace().count() >= 2 {
        Ok(name)
    } else {
        Err(format!(
            "expected given and family names, e.g. `Jane X Doe`, found `{name}`"
        ))
    }
}

/// Exact counts per claim type; types not listed have none.
fn claims(r: &mut Reader, node: &Node, key: &str) -> Option<ClaimCounts> {
    let map = r.any_mapping(node, key)?;
    let counts: Vec<Option<(ClaimType, u32)>> = map
        .iter()
        .map(|(code, count)| {
            let key = join(key, code.as_str());
            let claim_type = match ClaimType::from_code(code.as_str()) {
                Some(t) => t,
                None => {
                    let codes: Vec<&str> = ClaimType::ALL.iter().map(|t| t.code()).collect();
                    let message = format!(
                        "unknown claim type `{}`; expected one of: {}",
                        code.as_str(),
                        codes.join(", ")
                    );
                    r.error(code.span(), &key, message);
                    return None;
                }
            };
            let count = integer(0..=MAX_CLAIMS_PER_TYPE)(r, count, &key)?;
            Some((claim_type, count))
        })
        .collect();
    counts
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .map(ClaimCounts::from_pairs)
}
