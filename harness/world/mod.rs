//! The world a scenario describes: apps, beneficiaries, their claims, and the clock.

pub mod beneficiary;
pub mod claim;
pub mod claims;
pub mod population;
pub mod seed;
pub mod throttle;
pub mod who;

pub use beneficiary::{Beneficiary, Gender};
pub use claim::Claim;
pub use claims::ClaimBook;
pub use who::Who;

use crate::clock::Clock;
use crate::sandbox::SandboxLogin;
use crate::scenario::{App, Profile, RateLimit, Scenario};
use std::sync::{Arc, OnceLock};
use throttle::Throttle;

/// Access-token lifetime of the `documented` profile (the guide era; behaviour file §0.1).
const DOCUMENTED_ACCESS_TTL: u64 = 36_000;

/// Access-token lifetime of the `current` profile (behaviour file §0.1).
const CURRENT_ACCESS_TTL: u64 = 3_600;

/// A running scenario: what it defines plus the virtual clock.
#[derive(Debug)]
pub struct World {
    scenario: Scenario,
    clock: Arc<Clock>,
    throttle: Throttle,
    /// The scenario's beneficiaries, in its order, each built at its first login and shared.
    listed: Vec<OnceLock<Arc<Beneficiary>>>,
}

impl World {
    /// The world of `scenario`, with time read from `clock`.
    pub fn new(scenario: Scenario, clock: Arc<Clock>) -> World {
        let rate = scenario.rate_limit.unwrap_or(RateLimit::BB2_DEFAULT);
        World {
            listed: scenario
                .beneficiaries
                .iter()
                .map(|_| OnceLock::new())
                .collect(),
            scenario,
            clock,
            throttle: Throttle::new(rate),
        }
    }

    /// The scenario this world was built from.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The behaviour profile.
    pub fn profile(&self) -> Profile {
        self.scenario.profile
    }

    /// The throttle of the FHIR views (per access token).
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    /// The virtual clock.
    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// The registered app with this client id.
    pub fn app(&self, client_id: &str) -> Option<&App> {
        self.scenario
            .apps
            .iter()
            .find(|app| app.client_id == client_id)
    }

    /// The beneficiary who logs in as `username`: a scenario beneficiary first, else a
    /// sandbox login, unless its generated id belongs to a scenario beneficiary.
    pub fn who(&self, username: &str) -> Option<Who> {
        let specs = &self.scenario.beneficiaries;
        if let Some((spec, built)) = specs
            .iter()
            .zip(&self.listed)
            .find(|(spec, _)| spec.username == username)
        {
            let beneficiary =
                built.get_or_init(|| Arc::new(population::from_spec(spec, self.scenario.seed)));
            return Some(Who::built(Arc::clone(beneficiary)));
        }
        let login = SandboxLogin::parse(username)?;
        let who = Who::sandbox(login, self.scenario.seed);
        let taken = specs.iter().any(|spec| spec.patient_id == who.patient_id());
        (!taken).then_some(who)
    }

    /// Every detail of the beneficiary who logs in as `username` (see [`World::who`]).
    pub fn beneficiary(&self, username: &str) -> Option<Arc<Beneficiary>> {
        self.who(username).map(|who| who.beneficiary())
    }

    /// Access-token lifetime in seconds.
    pub fn access_ttl(&self) -> u64 {
        self.scenario
            .tokens
            .access_ttl
            .unwrap_or(match self.scenario.profile {
                Profile::Documented => DOCUMENTED_ACCESS_TTL,
                Profile::Current => CURRENT_ACCESS_TTL,
            })
    }

    /// Authorization-code lifetime in seconds.
    pub fn code_ttl(&self) -> u64 {
        self.scenario.tokens.code_ttl
    }
}
