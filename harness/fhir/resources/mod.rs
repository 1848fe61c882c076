//! Rendering Patient, Coverage and ExplanationOfBenefit resources (FHIR R4, C4BB profiles).
