//! Resolving a path to a target: through the schema, or to an attribute
//! no schema defines ([`unknown`](super::unknown)).

use super::Patcher;
use super::unknown::UnknownTarget;
use crate::Error;
use crate::filter::eval::{AttrFacts, AttrRef, SchemaFacts};
use crate::filter::{AttrPath, Filter, PatchPath};
use crate::schema::{Attribute, JsonObject, Schema};
use crate::tolerance::Tolerance;

/// What a path resolved to.
pub(super) enum Target<'s> {
    /// An attribute, possibly with a sub-attribute and a value filter.
    Attr(AttrTarget<'s>),
    /// A whole extension (`urn:…:enterprise:2.0:User`).
    Extension(&'s Schema),
    /// An attribute no schema defines, kept verbatim
    /// ([`Tolerance::KeepUnknownAttributes`]).
    Unknown(UnknownTarget),
}

/// An attribute a schema defines, as a target.
pub(super) struct AttrTarget<'s> {
    /// The extension holding `attr`; `None` for the core schema.
    pub(super) extension: Option<&'s Schema>,
    pub(super) attr: &'s Attribute,
    /// The sub-attribute of `attr` (of each value selected, if
    /// multi-valued).
    pub(super) sub: Option<&'s Attribute>,
    /// The value filter selecting values of a multi-valued `attr`.
    pub(super) filter: Option<Filter>,
    /// The path as errors name it.
    pub(super) display: String,
}

impl<'s> Patcher<'_, 's> {
    /// Resolves a path through the schema; an attribute no schema defines
    /// is a [`Target::Unknown`] if a tolerance keeps it.
    pub(super) fn resolve(
        &mut self,
        doc: &JsonObject,
        path: &PatchPath,
    ) -> Result<Target<'s>, Error> {
        let schema = self.schema;
        let Some(filter) = path.filter() else {
            if let Some(r) = schema.resolve(path.attr()) {
                if r.legacy_dotted_urn && !self.cx.tolerate(Tolerance::LegacyDottedUrn) {
                    return Err(Error::invalid_path(format!(
                        "\"{path}\" uses a dot after the schema URN; write {}",
                        r.display()
                    )));
                }
                return Ok(Target::Attr(AttrTarget {
                    extension: r.extension,
                    attr: r.attr,
                    sub: r.sub,
                    filter: None,
                    display: r.display(),
                }));
            }
            if let Some(ext) = schema.extension_of_path(path.attr()) {
                return Ok(Target::Extension(ext));
            }
            if let Some(t) = self.unqualified_extension_attribute(path.attr()) {
                return Ok(Target::Attr(t));
            }
            return self.unknown(doc, path);
        };
        let Some(r) = schema.resolve(path.attr()) else {
            return self.unknown(doc, path);
        };
        if !r.attr.multi_valued || !r.attr.is_complex() {
            return Err(Error::invalid_path(format!(
                "\"{}\" is not a multi-valued complex attribute, so \"{path}\" cannot filter it",
                r.display()
            )));
        }
        let sub = match path.sub_attr() {
            Some(name) => Some(r.attr.sub_attribute(name).ok_or_else(|| {
                Error::invalid_path(format!(
                    "\"{}\" has no sub-attribute \"{name}\"",
                    r.display()
                ))
            })?),
            None => None,
        };
        // A filter that cannot be evaluated (`primary eq "yes"` on a
        // boolean) is `invalidFilter` whether or not there are values to
        // test, so that a miss cannot turn it into a created value.
        filter.matcher(&ElementFacts(r.attr))?;
        let display = match sub {
            Some(s) => format!("{}[{filter}].{}", r.display(), s.name),
            None => format!("{}[{filter}]", r.display()),
        };
        Ok(Target::Attr(AttrTarget {
            extension: r.extension,
            attr: r.attr,
            sub,
            filter: Some(filter.clone()),
            display,
        }))
    }

    /// An extension attribute named without its URN (`"path": "manager"`,
    /// Entra ID's older manager shape), where
    /// [`Tolerance::UnqualifiedExtensionPath`] covers it.
    fn unqualified_extension_attribute(&mut self, path: &AttrPath) -> Option<AttrTarget<'s>> {
        if path.schema().is_some() {
            return None;
        }
        let schema = self.schema;
        let (ext, attr) = schema
            .extensions()
            .find_map(|(ext, _)| ext.attribute(path.name()).map(|a| (ext, a)))?;
        let sub = match path.sub_attr() {
            Some(name) => Some(attr.sub_attribute(name)?),
            None => None,
        };
        let qualified = format!("{}:{}", ext.id, attr.name);
        if !self
            .cx
            .tolerate_at(Tolerance::UnqualifiedExtensionPath, &qualified)
        {
            return None;
        }
        let display = match sub {
            Some(s) => format!("{qualified}.{}", s.name),
            None => qualified,
        };
        Some(AttrTarget {
            extension: Some(ext),
            attr,
            sub,
            filter: None,
            display,
        })
    }
}

/// Schema facts for a value filter, whose paths are sub-attributes of one
/// multi-valued attribute.
pub(super) struct ElementFacts<'a>(pub(super) &'a Attribute);

impl SchemaFacts for ElementFacts<'_> {
    fn attribute(&self, attr: AttrRef<'_>) -> AttrFacts {
        match self.0.sub_attribute(attr.name) {
            Some(sub) => AttrFacts::new(sub.case_exact, Some(sub.kind.value_kind())),
            None => AttrFacts::default(),
        }
    }

    fn is_core_schema(&self, _urn: &str) -> bool {
        true
    }
}
