//! Shorthands for the attributes the built-in schemas are made of.

use crate::schema::{AttrType, Attribute};

pub(super) fn string(name: &str, description: &str) -> Attribute {
    Attribute::new(name, AttrType::String).with_description(description)
}

pub(super) fn boolean(name: &str, description: &str) -> Attribute {
    Attribute::new(name, AttrType::Boolean).with_description(description)
}

pub(super) fn integer(name: &str, description: &str) -> Attribute {
    Attribute::new(name, AttrType::Integer).with_description(description)
}

pub(super) fn date_time(name: &str, description: &str) -> Attribute {
    Attribute::new(name, AttrType::DateTime).with_description(description)
}

/// A reference. RFC 7643 §8.7 marks most references `caseExact: false`;
/// §2.3.7 says "A reference is case exact", and that is followed here.
pub(super) fn reference(name: &str, types: &[&str], description: &str) -> Attribute {
    Attribute::new(name, AttrType::Reference)
        .with_description(description)
        .with_reference_types(types.iter().copied())
        .with_case_exact(true)
}

/// The `value` of an attribute that points at a resource by its `id`. An
/// `id` is case exact (RFC 7643 §3.1), so the pointer is too: the verified
/// erratum 8472 says so for `manager.value`, and the same reasoning covers
/// User `groups.value` and Group `members.value`, which §8.7.1 marks
/// `caseExact: false`.
pub(super) fn id_value(description: &str) -> Attribute {
    string("value", description).with_case_exact(true)
}

pub(super) fn complex(name: &str, description: &str, sub_attributes: Vec<Attribute>) -> Attribute {
    Attribute::complex(name, sub_attributes).with_description(description)
}

/// A multi-valued complex attribute (RFC 7643 §2.4).
pub(super) fn multi(name: &str, description: &str, sub_attributes: Vec<Attribute>) -> Attribute {
    complex(name, description, sub_attributes).with_multi_valued(true)
}

/// The `display` sub-attribute of a multi-valued attribute (RFC 7643 §2.4).
///
/// `readWrite`, as in RFC 7643 §8.7.1. Its descriptions there end in
/// "READ-ONLY.", and §2.4 calls a default `display` "immutable"; but §2.4
/// applies only where a schema does not define the sub-attribute, and the
/// erratum 8358 (held for document update) drops "READ-ONLY." from the
/// descriptions and keeps `readWrite`. A stricter mutability would refuse or
/// silently drop values that clients send, for no gain.
pub(super) fn display() -> Attribute {
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    )
}

/// The `type` sub-attribute of a multi-valued attribute (RFC 7643 §2.4),
/// with its suggested values.
pub(super) fn label(description: &str, canonical_values: &[&str]) -> Attribute {
    string("type", description).with_canonical_values(canonical_values.iter().copied())
}

/// The `primary` sub-attribute of a multi-valued attribute (RFC 7643 §2.4).
pub(super) fn primary(example: &str) -> Attribute {
    boolean(
        "primary",
        &format!(
            "A Boolean value indicating the 'primary' or preferred attribute value for this \
             attribute, e.g., {example}. The primary attribute value 'true' MUST appear no more \
             than once."
        ),
    )
}
