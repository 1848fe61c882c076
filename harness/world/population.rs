//! Who can log in: the scenario's beneficiaries, then every sandbox login by DESIGN's mapping,
//! each built on demand from the scenario seed (never all held in memory).

use crate::claim_type::{ClaimCounts, ClaimType};
use crate::sandbox::SandboxLogin;
use crate::scenario::BeneficiarySpec;
use crate::world::seed::{derive, mix};
use crate::world::{Beneficiary, Gender};
use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};

const FEMALE_NAMES: &[&str] = &[
    "Jane",
    "Mary",
    "Patricia",
    "Linda",
    "Barbara",
    "Elizabeth",
    "Susan",
    "Margaret",
    "Dorothy",
    "Ruth",
];
const MALE_NAMES: &[&str] = &[
    "John", "Robert", "James", "William", "Richard", "Charles", "Joseph", "Thomas", "George",
    "Donald",
];
const FAMILY_NAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia", "Wilson",
    "Moore",
];
/// SSA state codes of the 50 states and DC.
const STATE_CODES: &[&str] = &[
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16",
    "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32",
    "33", "34", "35", "36", "37", "38", "39", "41", "42", "43", "44", "45", "46", "47", "49", "50",
    "51", "52", "53",
];
/// MBI letters (no S, L, O, I, B, Z).
const MBI_LETTERS: &[u8] = b"ACDEFGHJKMNPQRTUVWXY";

/// The block of the sandbox's oldest synthetic beneficiaries (`BBUser2NNNN`): every one of them
/// is a Doe born 2014-06-01 with ZIP 99999, as the captures show.
const DOE_BLOCK_PREFIX: &str = "-2014";

/// Builds a scenario-defined beneficiary.
pub fn from_spec(spec: &BeneficiarySpec, scenario_seed: u64) -> Beneficiary {
    let facts = Facts::new(scenario_seed, &spec.patient_id);
    let (given, family, gender) = match spec.name.as_deref().and_then(split_name) {
        Some((given, family)) => {
            let gender = gender_of_first_name(given.first().map(String::as_str));
            (given, family, gender)
        }
        None => facts.name(),
    };
    let claims = spec.claims.unwrap_or_else(|| facts.claim_mix());
    facts.beneficiary(
        spec.username.clone(),
        spec.password.clone(),
        given,
        family,
        gender,
        claims,
    )
}

/// Builds the generated beneficiary of a sandbox login, if `username` is one.
pub fn from_sandbox_login(username: &str, scenario_seed: u64) -> Option<Beneficiary> {
    SandboxLogin::parse(username).map(|login| from_sandbox(login, scenario_seed))
}

/// Builds the generated beneficiary of a sandbox login.
pub fn from_sandbox(login: SandboxLogin, scenario_seed: u64) -> Beneficiary {
    let facts = Facts::new(scenario_seed, &login.patient_id());
    let (given, family, gender) = facts.name();
    let claims = facts.claim_mix();
    facts.beneficiary(
        login.username(),
        login.password(),
        given,
        family,
        gender,
        claims,
    )
}

/// "Jane X Doe" → (["Jane", "X"], "Doe").
fn split_name(name: &str) -> Option<(Vec<String>, String)> {
    let mut words: Vec<String> = name.split_whitespace().map(str::to_owned).collect();
    let family = words.pop()?;
    (!words.is_empty()).then_some((words, family))
}

fn gender_of_first_name(first: Option<&str>) -> Gender {
    match first {
        Some(name) if FEMALE_NAMES.contains(&name) => Gender::Female,
        Some(name) if MALE_NAMES.contains(&name) => Gender::Male,
        _ => Gender::Unknown,
    }
}

/// The seeded source of one beneficiary's generated facts.
struct Facts {
    patient_id: String,
    seed: u64,
    doe_block: bool,
}

impl Facts {
    fn new(scenario_seed: u64, patient_id: &str) -> Facts {
        Facts {
            patient_id: patient_id.to_owned(),
            seed: derive(scenario_seed, &[b"beneficiary", patient_id.as_bytes()]),
            doe_block: patient_id.starts_with(DOE_BLOCK_PREFIX),
        }
    }

    /// A value in `0..bound` for the given label.
    fn pick(&self, label: u64, bound: u64) -> u64 {
        mix(self.seed ^ mix(label)) % bound.max(1)
    }

    fn choose<'a>(&self, label: u64, items: &[&'a str]) -> &'a str {
        let index = usize::try_from(self.pick(label, items.len() as u64)).unwrap_or(0);
        items.get(index).copied().unwrap_or_default()
    }

    fn name(&self) -> (Vec<String>, String, Gender) {
        let female = self.pick(1, 2) == 0;
        let (gender, first) = if self.doe_block {
            (
                if female { Gender::Female } else { Gender::Male },
                if female { "Jane" } else { "John" },
            )
        } else if female {
            (Gender::Female, self.choose(2, FEMALE_NAMES))
        } else {
            (Gender::Male, self.choose(2, MALE_NAMES))
        };
        let middle = char::from(b'A' + u8::try_from(self.pick(3, 26)).unwrap_or(0)).to_string();
        let (middle, family) = if self.doe_block {
            ("X".to_owned(), "Doe")
        } else {
            (middle, self.choose(4, FAMILY_NAMES))
        };
        (vec![first.to_owned(), middle], family.to_owned(), gender)
    }

    fn birth_date(&self) -> Date {
        if self.doe_block {
            return date(2014, 6, 1);
        }
        let days = i64::try_from(self.pick(5, 55 * 365)).unwrap_or(0);
        date(1935, 1, 1)
            .checked_add(SignedDuration::from_hours(days * 24))
            .unwrap_or(date(1950, 1, 1))
    }

    fn mbi(&self) -> String {
        let digit = |label: u64, low: u64| {
            char::from(b'0' + u8::try_from(low + self.pick(label, 10 - low)).unwrap_or(0))
        };
        let letter = |label: u64| {
            let index = usize::try_from(self.pick(label, MBI_LETTERS.len() as u64)).unwrap_or(0);
            char::from(MBI_LETTERS.get(index).copied().unwrap_or(b'A'))
        };
        [
            digit(10, 1),
            letter(11),
            letter(12),
            digit(13, 0),
            letter(14),
            letter(15),
            digit(16, 0),
            letter(17),
            letter(18),
            digit(19, 0),
            digit(20, 0),
        ]
        .into_iter()
        .collect()
    }

    /// A realistic sandbox mix (behaviour §7.2): carrier claims always; inpatient stays for
    /// about one in six; outpatient visits for most; now and then DME, SNF, home health or
    /// hospice; Part D events for the 2014 (Doe) block only.
    fn claim_mix(&self) -> ClaimCounts {
        let sometimes = |label: u64, percent: u64, most: u64| {
            if self.pick(label, 100) < percent {
                1 + self.pick(label + 100, most)
            } else {
                0
            }
        };
        let carrier = 5 + self.pick(30, 56);
        let inpatient = sometimes(31, 16, 4);
        let pde = if self.doe_block {
            20 + self.pick(32, 91)
        } else {
            0
        };
        let outpatient = sometimes(33, 70, 40);
        let dme = sometimes(34, 20, 6);
        let snf = sometimes(35, 5, 2);
        let hha = sometimes(36, 5, 4);
        let hospice = sometimes(37, 2, 2);
        let count = |n: u64| u32::try_from(n).unwrap_or(0);
        ClaimCounts::from_pairs([
            (ClaimType::Carrier, count(carrier)),
            (ClaimType::Dme, count(dme)),
            (ClaimType::Hha, count(hha)),
            (ClaimType::Hospice, count(hospice)),
            (ClaimType::Inpatient, count(inpatient)),
            (ClaimType::Outpatient, count(outpatient)),
            (ClaimType::Pde, count(pde)),
            (ClaimType::Snf, count(snf)),
        ])
    }

    fn account_created(&self) -> Timestamp {
        let millis = i64::try_from(self.pick(40, 7 * 365 * 86_400_000)).unwrap_or(0);
        let start = Timestamp::from_second(1_483_228_800).unwrap_or(Timestamp::UNIX_EPOCH); // 2017-01-01
        start
            .checked_add(SignedDuration::from_millis(millis))
            .unwrap_or(start)
    }

    fn beneficiary(
        self,
        username: String,
        password: String,
        given: Vec<String>,
        family: String,
        gender: Gender,
        claims: ClaimCounts,
    ) -> Beneficiary {
        let email_name = given
            .first()
            .map(|g| g.to_ascii_lowercase())
            .unwrap_or_default();
        Beneficiary {
            email: format!("{email_name}.{}@example.com", family.to_ascii_lowercase()),
            mbi: self.mbi(),
            birth_date: self.birth_date(),
            state_code: self.choose(6, STATE_CODES).to_owned(),
            postal_code: if self.doe_block {
                "99999".to_owned()
            } else {
                format!("{:05}", 1001 + self.pick(7, 98_000))
            },
            race_code: self
                .choose(9, &["1", "1", "1", "2", "3", "4", "5", "6"])
                .to_owned(),
            account_created: self.account_created(),
            data_seed: self.seed,
            patient_id: self.patient_id,
            username,
            password,
            given,
            family,
            gender,
            claims,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jane_doe_from_spec() {
        let spec = BeneficiarySpec {
            username: "BBUser29999".into(),
            password: "PW29999!".into(),
            patient_id: "-20140000008325".into(),
            name: Some("Jane X Doe".into()),
            claims: None,
        };
        let jane = from_spec(&spec, 0);
        assert_eq!(jane.given, vec!["Jane", "X"]);
        assert_eq!(jane.family, "Doe");
        assert_eq!(jane.gender, Gender::Female);
        assert_eq!(jane.birth_date, date(2014, 6, 1));
        assert_eq!(jane.display_name(), "Jane Doe");
        assert!(jane.claims.total() > 0);
        assert_eq!(jane, from_spec(&spec, 0), "deterministic");
        assert_ne!(
            jane.data_seed,
            from_spec(&spec, 1).data_seed,
            "the seed matters"
        );
    }

    #[test]
    fn sandbox_logins_are_generated() {
        let bene =
            from_sandbox_login("BBUser00000", 0).map(|b| (b.patient_id, b.password, b.mbi.len()));
        assert_eq!(
            bene,
            Some(("-19990000000001".into(), "PW00000!".into(), 11))
        );
        assert!(from_sandbox_login("BBUser30000", 0).is_none());
    }

    #[test]
    fn sandbox_mixes_look_like_the_sandbox() {
        let logins = (0..400).map(|n| format!("BBUser{:05}", n * 25));
        let benes: Vec<Beneficiary> = logins
            .filter_map(|login| from_sandbox_login(&login, 9))
            .collect();
        assert_eq!(benes.len(), 400);
        let with = |claim_type: ClaimType| {
            benes
                .iter()
                .filter(|b| b.claims.get(claim_type) > 0)
                .count()
        };
        assert_eq!(
            with(ClaimType::Carrier),
            400,
            "every user has carrier claims"
        );
        assert!(
            (30..=110).contains(&with(ClaimType::Inpatient)),
            "some inpatient"
        );
        assert!(with(ClaimType::Outpatient) > 200, "outpatient for most");
        for rare in [
            ClaimType::Dme,
            ClaimType::Snf,
            ClaimType::Hha,
            ClaimType::Hospice,
        ] {
            assert!((1..150).contains(&with(rare)), "{rare}: {}", with(rare));
        }
        let doe_block = |b: &&Beneficiary| b.patient_id.starts_with(DOE_BLOCK_PREFIX);
        assert!(
            benes
                .iter()
                .filter(doe_block)
                .all(|b| b.claims.get(ClaimType::Pde) >= 20)
        );
        assert!(
            benes
                .iter()
                .filter(|b| !doe_block(b))
                .all(|b| b.claims.get(ClaimType::Pde) == 0)
        );
    }

    #[test]
    fn given_claims_are_exact() {
        let spec = BeneficiarySpec {
            username: "BBUser20000".into(),
            password: "PW20000!".into(),
            patient_id: "-20140000000001".into(),
            name: None,
            claims: Some(ClaimCounts::default()),
        };
        assert_eq!(from_spec(&spec, 0).claims.total(), 0);
    }
}
