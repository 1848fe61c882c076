//! A beneficiary's Medicare enrollment in the reference year: entitlement, dual
//! eligibility, and Medicare Advantage (Part C) and drug plan (Part D) enrollment.
//!
//! Patient, the four Coverages and Part D events all render from this one draw, so they
//! agree with each other (the Patient's `dual_NN` are the Coverages' `dual_NN`, a Part D
//! event names the contract of the Part D Coverage).

use super::codes::{
    BUY_IN_NONE, BUY_IN_STATE, COST_SHARE_FULL_SUBSIDY, COST_SHARE_NO_SUBSIDY, Code,
    DUAL_ELIGIBLE_STATUSES, DUAL_NON_MEDICAID, ENTITLEMENT_DISABILITY, ENTITLEMENT_ESRD,
    ENTITLEMENT_OLD_AGE, ESRD_NO, ESRD_YES, MEDICARE_STATUS_AGED, MEDICARE_STATUS_AGED_ESRD,
    MEDICARE_STATUS_DISABLED, MEDICARE_STATUS_DISABLED_ESRD, PART_C_PLAN_TYPES,
};
use super::dates::add_years;
use super::draw::{Draw, derived_seed};
use super::meta::REFERENCE_YEAR;
use crate::claim_type::ClaimType;
use crate::world::Beneficiary;
use jiff::civil::Date;

/// The first day of the reference year.
const REFERENCE_YEAR_START: Date = Date::constant(REFERENCE_YEAR, 1, 1);
/// When CMS started issuing Medicare Beneficiary Identifiers.
const MBI_ROLLOUT: Date = Date::constant(2018, 4, 1);

/// Medicare entitlement and monthly enrollment codes of one beneficiary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// `ms_cd`: aged or disabled, with or without ESRD.
    pub medicare_status: Code,
    /// `orec`: why the beneficiary was first entitled.
    pub original_reason: Code,
    /// `crec`: why the beneficiary is entitled now.
    pub current_reason: Code,
    /// `esrd_ind`.
    pub esrd: Code,
    /// First day of Part A and Part B entitlement.
    pub entitlement_start: Date,
    /// `dual_NN`, the same every month of the reference year.
    pub dual_status: Code,
    /// `buyinNN`, the same every month of the reference year.
    pub buy_in: Code,
    /// When the current MBI took effect.
    pub mbi_effective: Date,
    /// Part C enrollment, if any.
    pub medicare_advantage: Option<PlanEnrollment>,
    /// Part D enrollment, if any.
    pub drug_plan: Option<PlanEnrollment>,
}

/// Enrollment in a Part C or Part D plan, all year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEnrollment {
    /// The CMS contract (`H1234`: Medicare Advantage, `S5678`: stand-alone drug plan).
    pub contract: String,
    /// The plan benefit package (`012`).
    pub benefit_package: String,
    /// Part C: `ptc_plan_type_cd`; Part D: `cstshrNN` (the cost-sharing group).
    pub plan_code: Code,
}

impl Enrollment {
    /// The enrollment of a beneficiary, drawn from its `data_seed`: entitlement from one
    /// stream, Part C and Part D each from a stream of their own.
    pub fn of(bene: &Beneficiary) -> Enrollment {
        let mut draw = Draw::from_seed(derived_seed(bene.data_seed, "enrollment"));
        let sixty_fifth_birthday = add_years(bene.birth_date, 65);
        let aged = sixty_fifth_birthday.first_of_month() <= REFERENCE_YEAR_START;
        let esrd = draw.chance(3);
        let disabled_first = draw.chance(15);
        let (medicare_status, original_reason, current_reason) = match (aged, esrd) {
            (true, false) if disabled_first => (
                MEDICARE_STATUS_AGED,
                ENTITLEMENT_DISABILITY,
                ENTITLEMENT_OLD_AGE,
            ),
            (true, false) => (
                MEDICARE_STATUS_AGED,
                ENTITLEMENT_OLD_AGE,
                ENTITLEMENT_OLD_AGE,
            ),
            (true, true) => (
                MEDICARE_STATUS_AGED_ESRD,
                ENTITLEMENT_OLD_AGE,
                ENTITLEMENT_OLD_AGE,
            ),
            (false, false) => (
                MEDICARE_STATUS_DISABLED,
                ENTITLEMENT_DISABILITY,
                ENTITLEMENT_DISABILITY,
            ),
            (false, true) => (
                MEDICARE_STATUS_DISABLED_ESRD,
                ENTITLEMENT_ESRD,
                ENTITLEMENT_ESRD,
            ),
        };
        let entitlement_start = if original_reason == ENTITLEMENT_OLD_AGE {
            sixty_fifth_birthday.first_of_month()
        } else {
            // Entitled through disability: some month between the 18th birthday and the
            // 65th (or the reference year), never before birth.
            let adult = add_years(bene.birth_date, 18);
            draw.date_between(adult, sixty_fifth_birthday.min(REFERENCE_YEAR_START))
                .first_of_month()
                .max(bene.birth_date.first_of_month())
        };
        let dual = draw.chance(20);
        let dual_status = if dual {
            *draw.pick(&DUAL_ELIGIBLE_STATUSES)
        } else {
            DUAL_NON_MEDICAID
        };
        let medicare_advantage = medicare_advantage_plan(bene);
        let drug_plan = drug_plan(bene, dual, medicare_advantage.as_ref());
        Enrollment {
            medicare_status,
            original_reason,
            current_reason,
            esrd: if esrd { ESRD_YES } else { ESRD_NO },
            entitlement_start,
            dual_status,
            buy_in: if dual { BUY_IN_STATE } else { BUY_IN_NONE },
            mbi_effective: entitlement_start.max(MBI_ROLLOUT),
            medicare_advantage,
            drug_plan,
        }
    }

    /// The reference year, as `rfrnc_yr` renders it.
    pub fn reference_year(&self) -> String {
        REFERENCE_YEAR.to_string()
    }
}

/// One beneficiary in five is in a Medicare Advantage plan.
fn medicare_advantage_plan(bene: &Beneficiary) -> Option<PlanEnrollment> {
    let mut draw = Draw::from_seed(derived_seed(bene.data_seed, "coverage/part-c"));
    draw.chance(20).then(|| PlanEnrollment {
        contract: format!("H{}", draw.digits(4)),
        benefit_package: format!("{:03}", draw.between(1, 40)),
        plan_code: *draw.pick(&PART_C_PLAN_TYPES),
    })
}

/// Everyone with Part D events has a drug plan, seven in ten of the others too: the
/// Medicare Advantage plan's (MA-PD) or a stand-alone one.
fn drug_plan(
    bene: &Beneficiary,
    dual: bool,
    medicare_advantage: Option<&PlanEnrollment>,
) -> Option<PlanEnrollment> {
    let mut draw = Draw::from_seed(derived_seed(bene.data_seed, "coverage/part-d"));
    let enrolled = draw.chance(70) || bene.claims.get(ClaimType::Pde) > 0;
    let stand_alone = (
        format!("S{}", draw.digits(4)),
        format!("{:03}", draw.between(1, 40)),
    );
    enrolled.then(|| {
        let (contract, benefit_package) = match medicare_advantage {
            Some(plan) => (plan.contract.clone(), plan.benefit_package.clone()),
            None => stand_alone,
        };
        PlanEnrollment {
            contract,
            benefit_package,
            plan_code: if dual {
                COST_SHARE_FULL_SUBSIDY
            } else {
                COST_SHARE_NO_SUBSIDY
            },
        }
    })
}
