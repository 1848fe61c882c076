//! Who a session's beneficiary is, held compactly for as long as the session lives: a
//! scenario beneficiary is shared, a sandbox login is kept as its number and built again
//! whenever its resources are rendered (DESIGN: generated on demand, never all held in memory).

use crate::sandbox::SandboxLogin;
use crate::world::{Beneficiary, population};
use std::borrow::Cow;
use std::sync::Arc;

/// A beneficiary as a session refers to them.
#[derive(Debug, Clone)]
pub struct Who {
    /// The FHIR patient id, shared with the store's grant map.
    patient_id: Arc<str>,
    source: Source,
}

/// Where the beneficiary's details come from.
#[derive(Debug, Clone)]
enum Source {
    /// Built once (a scenario beneficiary, or one made in code).
    Built(Arc<Beneficiary>),
    /// A sandbox login of a scenario with this seed, built again on demand.
    Sandbox { login: SandboxLogin, seed: u64 },
}

impl Who {
    /// A beneficiary already built.
    pub fn built(beneficiary: Arc<Beneficiary>) -> Who {
        Who {
            patient_id: Arc::from(beneficiary.patient_id.as_str()),
            source: Source::Built(beneficiary),
        }
    }

    /// The generated beneficiary of a sandbox login in a scenario of seed `seed`.
    pub fn sandbox(login: SandboxLogin, seed: u64) -> Who {
        Who {
            patient_id: Arc::from(login.patient_id()),
            source: Source::Sandbox { login, seed },
        }
    }

    /// The FHIR patient id.
    pub fn patient_id(&self) -> &str {
        &self.patient_id
    }

    /// The patient id as a shared string (a map key that costs no copy).
    pub fn shared_patient_id(&self) -> Arc<str> {
        Arc::clone(&self.patient_id)
    }

    /// The login name.
    pub fn username(&self) -> Cow<'_, str> {
        match &self.source {
            Source::Built(beneficiary) => Cow::Borrowed(&beneficiary.username),
            Source::Sandbox { login, .. } => Cow::Owned(login.username()),
        }
    }

    /// Every detail of the beneficiary: shared when built once, generated again for a sandbox
    /// login (the same details each time: they follow from the login and the seed).
    pub fn beneficiary(&self) -> Arc<Beneficiary> {
        match &self.source {
            Source::Built(beneficiary) => Arc::clone(beneficiary),
            Source::Sandbox { login, seed } => Arc::new(population::from_sandbox(*login, *seed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sandbox_login_is_built_again_the_same() {
        let login = SandboxLogin::parse("BBUser10042").unwrap();
        let who = Who::sandbox(login, 7);
        let built = population::from_sandbox_login("BBUser10042", 7).unwrap();
        assert_eq!(who.patient_id(), built.patient_id);
        assert_eq!(who.username(), "BBUser10042");
        assert_eq!(*who.beneficiary(), built);
        assert_eq!(who.beneficiary(), who.beneficiary());
    }

    #[test]
    fn a_built_beneficiary_is_shared() {
        let built = Arc::new(population::from_sandbox_login("BBUser00001", 0).unwrap());
        let who = Who::built(Arc::clone(&built));
        assert!(Arc::ptr_eq(&who.beneficiary(), &built));
        assert_eq!(who.patient_id(), built.patient_id);
        assert_eq!(who.username(), "BBUser00001");
    }
}
