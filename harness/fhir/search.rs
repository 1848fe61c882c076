//! Reads and searches of one beneficiary's resources, with BB2's refusals: 403 for a search
//! naming someone else, 404 for someone else's resource, 400 for bad parameters.

use crate::api_version::ApiVersion;
use crate::claim_type::ClaimType;
use crate::exchange::Request;
use crate::fhir::Route;
use crate::fhir::paging::{LinkStyle, Page};
use crate::fhir::query::{self, Paging, Refused};
use crate::fhir::resources::{CoveragePart, DATA_LAST_UPDATED, coverage_v2, eob_v2, patient_v2};
use crate::fhir::stu3::{coverage_v1, eob_v1, patient_v1};
use crate::fhir::type_param;
use crate::fhir::{bundle, date_filter};
use crate::oauth::scopes::Resource;
use crate::params::Params;
use crate::scenario::Profile;
use crate::world::Claim;
use crate::world::{Beneficiary, ClaimBook, World};
use http::StatusCode;
use serde_json::Value;

/// DRF's 403 detail.
pub const FORBIDDEN: &str = "You do not have permission to perform this action.";
const NOT_FOUND: &str = "Not found.";
/// The `documented` profile's answer to an invalid `type` (the guide).
const INVALID_TYPE_GUIDE: &str = "not a valid value";
/// The `current` profile's answer to an invalid `type` (BB2 since 2020).
const INVALID_TYPE_CURRENT: &str = "the type parameter value is not valid";

/// Why a read or search is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 400, 403 or 404.
    pub status: StatusCode,
    /// The `detail` text.
    pub detail: String,
}

impl Refusal {
    fn new(status: StatusCode, detail: &str) -> Refusal {
        Refusal {
            status,
            detail: detail.to_owned(),
        }
    }
}

impl From<Refused> for Refusal {
    fn from(refused: Refused) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            detail: refused.0,
        }
    }
}

/// One read or search, as asked by a beneficiary's token.
pub struct Asked<'a> {
    world: &'a World,
    request: &'a Request,
    version: ApiVersion,
    params: Params,
    bene: &'a Beneficiary,
    base: &'a str,
}

impl<'a> Asked<'a> {
    /// A request by `bene`'s token to `version`; links are built on `base`
    /// (`{origin}/{v}/fhir/{Type}`).
    pub fn new(
        world: &'a World,
        request: &'a Request,
        version: ApiVersion,
        bene: &'a Beneficiary,
        base: &'a str,
    ) -> Asked<'a> {
        let params = Params::from_query(request.query.as_deref());
        Asked {
            world,
            request,
            version,
            params,
            bene,
            base,
        }
    }

    /// The resource or Bundle that answers `route`.
    pub fn answer(&self, route: &Route) -> Result<Value, Refusal> {
        match (route.resource, route.id.as_deref()) {
            (Resource::Patient, Some(id)) => self.patient_read(id),
            (Resource::Patient, None) => self.patient_search(),
            (Resource::Coverage, Some(id)) => self.coverage_read(id),
            (Resource::Coverage, None) => self.coverage_search(),
            (Resource::ExplanationOfBenefit, Some(id)) => self.eob_read(id),
            (Resource::ExplanationOfBenefit, None) => self.eob_search(),
            (Resource::UserInfo, _) => Err(Refusal::new(StatusCode::NOT_FOUND, NOT_FOUND)),
        }
    }

    fn patient_read(&self, id: &str) -> Result<Value, Refusal> {
        if id != self.bene.patient_id {
            return Err(Refusal::new(StatusCode::NOT_FOUND, NOT_FOUND));
        }
        Ok(self.patient())
    }

    fn patient_search(&self) -> Result<Value, Refusal> {
        let own = self.bene.patient_id.as_str();
        let paging = Paging::parse(&self.params)?;
        if self.params.get("_id").is_some_and(|id| id != own) {
            return Err(Refusal::new(StatusCode::NOT_FOUND, NOT_FOUND));
        }
        let updated = date_filter::last_updated(&self.params)?;
        let (count, start) = paging.for_backend()?;
        let (echo, found) = match self.params.get("identifier") {
            Some(identifier) if self.params.get("_id").is_none() => {
                let mbi = identifier.rsplit('|').next().unwrap_or(identifier);
                (("identifier", identifier), mbi == self.bene.mbi)
            }
            _ => (("_id", own), true),
        };
        let mut search = vec![echo];
        search.extend(self.echo("_lastUpdated"));
        let matches = if found && self.updated_since(&updated) {
            vec![self.patient()]
        } else {
            Vec::new()
        };
        Ok(self.bundle(
            Page {
                start,
                count,
                total: matches.len() as u64,
            },
            &search,
            |range| {
                matches
                    .iter()
                    .skip(to_usize(range.start))
                    .take(to_usize(range.end - range.start))
                    .cloned()
                    .collect()
            },
        ))
    }

    fn coverage_read(&self, id: &str) -> Result<Value, Refusal> {
        let (part, patient_id) =
            CoveragePart::from_resource_id(id).ok_or_else(|| unsupported_id(id))?;
        if patient_id != self.bene.patient_id {
            return Err(Refusal::new(StatusCode::NOT_FOUND, NOT_FOUND));
        }
        Ok(self.coverage(part))
    }

    fn coverage_search(&self) -> Result<Value, Refusal> {
        let own = self.bene.patient_id.as_str();
        // BB2 only tests that the parameter contains the token's own id (`Patient/<id>` is fine).
        if self
            .params
            .get("beneficiary")
            .is_some_and(|b| !b.contains(own))
        {
            return Err(Refusal::new(StatusCode::FORBIDDEN, FORBIDDEN));
        }
        let paging = Paging::parse(&self.params)?;
        let updated = date_filter::last_updated(&self.params)?;
        let (count, start) = paging.for_backend()?;
        let reference = format!("Patient/{own}");
        let total = if self.updated_since(&updated) {
            CoveragePart::ALL.len() as u64
        } else {
            0
        };
        let page = Page {
            start,
            count,
            total,
        };
        let mut search = vec![("beneficiary", reference.as_str())];
        search.extend(self.echo("_lastUpdated"));
        Ok(self.bundle(page, &search, |range| {
            range
                .filter_map(|position| CoveragePart::ALL.get(to_usize(position)))
                .map(|&part| self.coverage(part))
                .collect()
        }))
    }

    fn eob_read(&self, id: &str) -> Result<Value, Refusal> {
        let (code, claim_id) = id.split_once('-').ok_or_else(|| unsupported_id(id))?;
        let claim_type = ClaimType::from_code(code).ok_or_else(|| unsupported_id(id))?;
        if !is_claim_id(claim_id) {
            return Err(unsupported_id(id));
        }
        let claim = ClaimBook::of(self.bene)
            .find(claim_type, claim_id)
            .ok_or_else(|| Refusal::new(StatusCode::NOT_FOUND, NOT_FOUND))?;
        Ok(self.eob(&claim))
    }

    fn eob_search(&self) -> Result<Value, Refusal> {
        let own = self.bene.patient_id.as_str();
        // BB2 compares the bare id exactly: `Patient/<own id>` is someone else too.
        if self.params.get("patient").is_some_and(|p| p != own) {
            return Err(Refusal::new(StatusCode::FORBIDDEN, FORBIDDEN));
        }
        let paging = Paging::parse(&self.params)?;
        let type_value = self.params.get("type");
        let types = type_value
            .map(|value| self.claim_types(value))
            .transpose()?;
        let updated = date_filter::last_updated(&self.params)?;
        let served = date_filter::service_date(&self.params)?;
        let (count, start) = paging.for_backend()?;
        let book = ClaimBook::of(self.bene);
        let positions = if !self.updated_since(&updated) {
            Some(Vec::new())
        } else if !served.is_empty() {
            let wanted = types.unwrap_or_else(|| ClaimType::ALL.to_vec());
            Some(book.positions_where(|claim| {
                wanted.contains(&claim.claim_type) && date_filter::all_admit_day(&served, claim.end)
            }))
        } else {
            match &types {
                Some(types) if !book.all_of(types) => Some(book.positions_of(types)),
                _ => None,
            }
        };
        let total = positions.as_ref().map_or(book.total(), |p| p.len() as u64);
        let mut echo = vec![("patient", own)];
        echo.extend(type_value.map(|value| ("type", value)));
        echo.extend(self.echo("_lastUpdated"));
        echo.extend(self.echo("service-date"));
        Ok(self.bundle(
            Page {
                start,
                count,
                total,
            },
            &echo,
            |range| {
                range
                    .filter_map(|i| match &positions {
                        Some(positions) => positions.get(to_usize(i)).copied(),
                        None => Some(i),
                    })
                    .filter_map(|position| book.claim_at(position))
                    .map(|claim| self.eob(&claim))
                    .collect()
            },
        ))
    }

    /// The beneficiary's Patient in the version asked.
    fn patient(&self) -> Value {
        match self.version {
            ApiVersion::V1 => patient_v1(self.bene),
            ApiVersion::V2 => patient_v2(self.bene),
        }
    }

    /// One of the beneficiary's Coverage resources in the version asked.
    fn coverage(&self, part: CoveragePart) -> Value {
        match self.version {
            ApiVersion::V1 => coverage_v1(self.bene, part),
            ApiVersion::V2 => coverage_v2(self.bene, part),
        }
    }

    /// A claim's ExplanationOfBenefit in the version asked.
    fn eob(&self, claim: &Claim) -> Value {
        match self.version {
            ApiVersion::V1 => eob_v1(self.bene, claim),
            ApiVersion::V2 => eob_v2(self.bene, claim),
        }
    }

    /// The claim types a `type` value selects, per profile: the guide's lower-case codes, or
    /// the current server's case-insensitive match, each with its own refusal.
    fn claim_types(&self, value: &str) -> Result<Vec<ClaimType>, Refusal> {
        let (parsed, refusal) = match self.world.profile() {
            Profile::Documented => (type_param::parse(value), INVALID_TYPE_GUIDE),
            Profile::Current => (
                type_param::parse(&value.to_ascii_lowercase()),
                INVALID_TYPE_CURRENT,
            ),
        };
        parsed.map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, refusal))
    }

    /// Whether the data's load time satisfies every `_lastUpdated` value.
    fn updated_since(&self, filters: &[date_filter::DateFilter]) -> bool {
        if filters.is_empty() {
            return true;
        }
        static LOADED: std::sync::OnceLock<Option<jiff::Timestamp>> = std::sync::OnceLock::new();
        LOADED
            .get_or_init(|| DATA_LAST_UPDATED.parse().ok())
            .is_some_and(|at| date_filter::all_admit_instant(filters, at))
    }

    /// Every value of `name`, to echo in the Bundle's links.
    fn echo(&self, name: &'static str) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.params
            .pairs()
            .iter()
            .filter(move |(key, _)| key == name)
            .map(move |(_, value)| (name, value.as_str()))
    }

    /// A searchset Bundle of the page, its entries rendered by `render` from the page's range.
    fn bundle(
        &self,
        page: Page,
        search: &[(&str, &str)],
        render: impl FnOnce(std::ops::Range<u64>) -> Vec<Value>,
    ) -> Value {
        let id = bundle::bundle_id(
            self.world.scenario().seed,
            &[
                self.request.path.as_str(),
                self.request.query.as_deref().unwrap_or_default(),
                &self.bene.patient_id,
            ],
        );
        let style = LinkStyle {
            profile: self.world.profile(),
            start_given: self.params.contains("startIndex"),
        };
        bundle::searchset(style, &id, self.base, &page, search, render(page.range()))
    }
}

/// BFD's refusal of an id it cannot parse, as BB2 wraps it.
fn unsupported_id(id: &str) -> Refusal {
    query::upstream(&format!(
        "Failed to call access method: java.lang.IllegalArgumentException: Unsupported ID pattern: {id}"
    ))
    .into()
}

/// A BFD claim id: an optional minus and digits.
fn is_claim_id(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
