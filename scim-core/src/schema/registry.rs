//! The resource types an application serves, their schemas and extensions,
//! and path resolution through them.

use std::sync::Arc;

use super::builtin::{common_attributes, enterprise_user_schema, group_schema, user_schema};
use super::settings::AttributeSettings;
use super::tighten::RequiredRule;
use super::{
    Attribute, ResourceType, Returned, Schema, SchemaExtension, SchemaUrn, find_attribute,
};
use crate::Error;
use crate::filter::AttrPath;
use crate::filter::eval::{AttrFacts, AttrRef, SchemaFacts};
use crate::index::IndexDef;

/// Collects schemas and resource types at start-up; [`RegistryBuilder::build`]
/// checks them and freezes them into a [`Registry`].
///
/// # Examples
///
/// Registering a Sign In Enterprise host extension on top of the standard
/// User and Group types:
///
/// ```
/// use scim_core::schema::{AttrType, Attribute, RegistryBuilder, Schema, SchemaUrn};
///
/// let host = SchemaUrn::new("urn:example:params:scim:schemas:extension:signin:2.0:Host")?;
/// let registry = RegistryBuilder::standard()
///     .schema(Schema::new(
///         host.clone(),
///         "Host",
///         vec![Attribute::new("badgeNumber", AttrType::String)],
///     ))
///     .extend("User", host, false)
///     .build()?;
/// let users = registry.resource_type("User").expect("registered");
/// assert!(users.resolve(&"urn:example:params:scim:schemas:extension:signin:2.0:Host:badgeNumber".parse()?).is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct RegistryBuilder {
    schemas: Vec<Schema>,
    resource_types: Vec<ResourceType>,
    settings: Vec<Configured>,
    empty_strings_unassigned: bool,
}

/// One [`RegistryBuilder::configure`] call, resolved at build time.
#[derive(Clone, Debug)]
pub(super) struct Configured {
    pub(super) resource_type: String,
    pub(super) path: String,
    pub(super) settings: AttributeSettings,
    /// Declared by [`RegistryBuilder::standard`]: dropped instead of
    /// refused when an application replaced the schema it names.
    default: bool,
}

/// The indexes [`RegistryBuilder::standard`] declares, per resource type.
const STANDARD_INDEXES: &[(&str, &[&str])] = &[
    (
        "User",
        &[
            "id",
            "userName",
            "externalId",
            "displayName",
            "active",
            "emails.value",
            r#"emails[type eq "work"].value"#,
            r#"emails[type eq "other"].value"#,
            "name.givenName",
            "name.familyName",
            r#"phoneNumbers[type eq "work"].value"#,
            r#"phoneNumbers[type eq "mobile"].value"#,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "meta.created",
            "meta.lastModified",
        ],
    ),
    (
        "Group",
        &[
            "id",
            "displayName",
            "externalId",
            "members.value",
            "meta.created",
            "meta.lastModified",
        ],
    ),
];

impl RegistryBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The standard set: `User` (with the optional Enterprise User
    /// extension) at `/Users` and `Group` at `/Groups`, with the attributes
    /// provisioning clients filter on indexed:
    ///
    /// * User: `id`, `userName`, `externalId`, `displayName`, `active`,
    ///   `emails.value`, `emails[type eq "work"].value`,
    ///   `emails[type eq "other"].value`, `name.givenName`,
    ///   `name.familyName`, `phoneNumbers[type eq "work"].value`,
    ///   `phoneNumbers[type eq "mobile"].value`, the Enterprise User's
    ///   `employeeNumber`, `organization`, `department` and
    ///   `manager.value`, `meta.created`, `meta.lastModified`;
    /// * Group: `id`, `displayName`, `externalId`, `members.value`,
    ///   `meta.created`, `meta.lastModified`.
    ///
    /// Entra ID, Okta and OneLogin filter on `userName`, `externalId`,
    /// `emails.value`, `displayName`, `id` and `members.value`. Change the
    /// set with [`RegistryBuilder::configure`]. A default naming an
    /// attribute that an application's replacement schema lacks is dropped.
    pub fn standard() -> Self {
        let mut user =
            ResourceType::new("User", "/Users", SchemaUrn::USER).with_description("User Account");
        user.schema_extensions
            .push(SchemaExtension::new(SchemaUrn::ENTERPRISE_USER, false));
        let mut builder = Self::new()
            .schema(user_schema())
            .schema(group_schema())
            .schema(enterprise_user_schema())
            .resource_type(user)
            .resource_type(
                ResourceType::new("Group", "/Groups", SchemaUrn::GROUP)
                    .with_description("Group")
                    .with_default_membership("members"),
            );
        for (resource_type, paths) in STANDARD_INDEXES {
            for path in *paths {
                builder.settings.push(Configured {
                    resource_type: (*resource_type).to_owned(),
                    path: (*path).to_owned(),
                    settings: AttributeSettings::new().indexed(true),
                    default: true,
                });
            }
        }
        builder
    }

    /// Declares settings for the attribute at `path` of the resource type
    /// called `resource_type` (ignoring case). The path is an attribute
    /// path (`userName`, `name.givenName`,
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`)
    /// or a multi-valued attribute's sub-attribute under a value filter
    /// (`emails[type eq "work"].value`), which indexes only the values of
    /// matching elements. Later calls for the same attribute override the
    /// settings they set. Checked by [`RegistryBuilder::build`].
    ///
    /// # Examples
    ///
    /// ```
    /// use scim_core::schema::{AttributeSettings, RegistryBuilder};
    ///
    /// let registry = RegistryBuilder::standard()
    ///     .configure("User", r#"addresses[type eq "work"].postalCode"#, AttributeSettings::new().indexed(true))
    ///     .build()?;
    /// let users = registry.resource_type("User").expect("registered");
    /// assert!(users.indexes().iter().any(|i| i.name() == r#"addresses[type eq "work"].postalCode"#));
    /// # Ok::<(), scim_core::Error>(())
    /// ```
    #[must_use]
    pub fn configure(
        mut self,
        resource_type: &str,
        path: &str,
        settings: AttributeSettings,
    ) -> Self {
        self.settings.push(Configured {
            resource_type: resource_type.to_owned(),
            path: path.to_owned(),
            settings,
            default: false,
        });
        self
    }

    /// Makes an empty string given for an attribute that is not required
    /// mean "unassigned", for every resource type: on create, replace and
    /// PATCH, `"title": ""` or `"name": {"middleName": ""}` is dropped as
    /// if it were absent, and an element of a multi-valued attribute whose
    /// `value` is `""` is dropped with it. This extends RFC 7643 §2.5,
    /// which makes `null` and empty arrays unassigned, to strings; it is a
    /// service's rule, off by default (RFC 7643 lets `""` be a value). An
    /// empty string for a *required* attribute is refused either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use scim_core::resource::prepare_create;
    /// use scim_core::schema::RegistryBuilder;
    /// use scim_core::tolerance::{Context, Policy};
    /// use serde_json::json;
    ///
    /// let registry = RegistryBuilder::standard().empty_strings_unassigned(true).build()?;
    /// let users = registry.resource_type("User").expect("standard");
    /// let body = prepare_create(users, json!({
    ///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    ///     "userName": "bjensen",
    ///     "title": "",
    /// }), &mut Context::new(Policy::strict()))?;
    /// assert!(body.get("title").is_none());
    /// # Ok::<(), scim_core::Error>(())
    /// ```
    #[must_use]
    pub fn empty_strings_unassigned(mut self, unassigned: bool) -> Self {
        self.empty_strings_unassigned = unassigned;
        self
    }

    /// Adds (or replaces, by URN) a schema.
    #[must_use]
    pub fn schema(mut self, schema: Schema) -> Self {
        self.schemas.retain(|s| s.id != schema.id);
        self.schemas.push(schema);
        self
    }

    /// Adds (or replaces, by name) a resource type.
    #[must_use]
    pub fn resource_type(mut self, resource_type: ResourceType) -> Self {
        self.resource_types
            .retain(|t| !t.name.eq_ignore_ascii_case(&resource_type.name));
        self.resource_types.push(resource_type);
        self
    }

    /// Adds an extension schema to the resource type called `name`. Checked
    /// by [`RegistryBuilder::build`].
    #[must_use]
    pub fn extend(mut self, name: &str, schema: SchemaUrn, required: bool) -> Self {
        if let Some(t) = self
            .resource_types
            .iter_mut()
            .find(|t| t.name.eq_ignore_ascii_case(name))
        {
            t.schema_extensions.retain(|e| e.schema != schema);
            t.schema_extensions
                .push(SchemaExtension::new(schema, required));
        } else {
            // Remembered as a type without endpoint, so that `build` reports
            // the unknown name instead of silently dropping the extension.
            let mut t = ResourceType::new(name, "", schema.clone());
            t.schema_extensions
                .push(SchemaExtension::new(schema, required));
            self.resource_types.push(t);
        }
        self
    }

    /// Checks the registrations and freezes them.
    ///
    /// Settings that tighten `required` or `uniqueness`
    /// ([`AttributeSettings::required`], [`AttributeSettings::uniqueness`])
    /// are applied to the resource type's schemas, and the registry's
    /// schemas (what `/Schemas` serves) show them. A schema used by several
    /// resource types (a core schema shared by two types, an extension of
    /// two) is served once, so its attributes must be tightened alike for
    /// every type that uses it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] if a resource type names an unknown schema,
    /// two types share an endpoint, an endpoint is malformed, an extension
    /// schema defines an attribute twice, or
    /// [`ResourceType::with_membership`] names an attribute the core schema
    /// has not as a multi-valued complex attribute with a `value`; if
    /// [`RegistryBuilder::configure`] names an unknown resource type, a
    /// path that does not parse, an unknown attribute, or a complex
    /// attribute without a sub-attribute; if a setting loosens a
    /// characteristic the schema defines (`userName` not unique, `id` not
    /// required), asks for `global` uniqueness, adds uniqueness anywhere but
    /// a single-valued string attribute at the top level, or tightens a
    /// shared schema differently for two resource types.
    pub fn build(self) -> Result<Registry, Error> {
        if let Some(c) = self.settings.iter().find(|c| {
            !c.default
                && !self
                    .resource_types
                    .iter()
                    .any(|t| t.name.eq_ignore_ascii_case(&c.resource_type))
        }) {
            return Err(Error::invalid_value(format!(
                "cannot configure {:?}: no resource type is called {:?}",
                c.path, c.resource_type
            )));
        }
        let find = |urn: &SchemaUrn| {
            self.schemas
                .iter()
                .find(|s| &s.id == urn)
                .cloned()
                .ok_or_else(|| Error::invalid_value(format!("schema {urn} is not registered")))
        };
        let mut types = Vec::with_capacity(self.resource_types.len());
        for rt in &self.resource_types {
            let segment = rt.endpoint_segment();
            if !rt.endpoint.starts_with('/')
                || segment.is_empty()
                || segment.contains(['/', '?', '#'])
            {
                return Err(Error::invalid_value(format!(
                    "resource type {} needs an endpoint like \"/{}s\", not {:?}",
                    rt.name, rt.name, rt.endpoint
                )));
            }
            if types.iter().any(|t: &Arc<ResourceSchema>| {
                t.resource_type
                    .endpoint_segment()
                    .eq_ignore_ascii_case(segment)
            }) {
                return Err(Error::invalid_value(format!(
                    "two resource types use the endpoint {}",
                    rt.endpoint
                )));
            }
            let core = find(&rt.schema)?;
            let mut extensions = Vec::with_capacity(rt.schema_extensions.len());
            for ext in &rt.schema_extensions {
                extensions.push((find(&ext.schema)?, ext.required));
            }
            for schema in std::iter::once(&core).chain(extensions.iter().map(|(s, _)| s)) {
                check_unique_names(&schema.attributes, &schema.id)?;
            }
            let rt = check_membership(rt, &core)?;
            let common = common_attributes();
            let hidden_by_default = hidden_by_default(&common, &core, &extensions);
            let mut schema = ResourceSchema {
                resource_type: rt,
                core,
                extensions,
                common,
                hidden_by_default,
                indexes: Vec::new(),
                required: Vec::new(),
                empty_strings_unassigned: self.empty_strings_unassigned,
            };
            super::tighten::apply(&mut schema, &self.settings)?;
            schema.indexes = configured_indexes(&schema, &self.settings)?;
            types.push(Arc::new(schema));
        }
        let mut schemas = self.schemas;
        for served in &mut schemas {
            if let Some(used) = as_used(served, &types)? {
                *served = used;
            }
        }
        Ok(Registry {
            inner: Arc::new(RegistryInner { schemas, types }),
        })
    }
}

/// The schema as the resource types use it, with their tightened
/// characteristics; `None` if no type uses it.
fn as_used(schema: &Schema, types: &[Arc<ResourceSchema>]) -> Result<Option<Schema>, Error> {
    let mut first: Option<(&str, &Schema)> = None;
    for t in types {
        let used = std::iter::once(&t.core).chain(t.extensions.iter().map(|(s, _)| s));
        for used in used.filter(|s| s.id == schema.id) {
            match first {
                None => first = Some((t.name(), used)),
                Some((other, seen)) if seen != used => {
                    return Err(Error::invalid_value(format!(
                        "schema {} is shared by the resource types {other} and {}, which configure its attributes' required or uniqueness differently; /Schemas serves one definition per schema, so configure both alike",
                        schema.id,
                        t.name()
                    )));
                }
                Some(_) => {}
            }
        }
    }
    Ok(first.map(|(_, s)| s.clone()))
}

/// The indexes `settings` declare for `schema`, in the order they were
/// first configured.
fn configured_indexes(
    schema: &ResourceSchema,
    settings: &[Configured],
) -> Result<Vec<IndexDef>, Error> {
    let mut declared: Vec<(IndexDef, AttributeSettings)> = Vec::new();
    for c in settings.iter().filter(|c| {
        c.resource_type.eq_ignore_ascii_case(schema.name()) && c.settings.is_indexed().is_some()
    }) {
        let def = match IndexDef::resolve(schema, &c.path) {
            Ok(def) => def,
            Err(_) if c.default => continue,
            Err(e) => return Err(e),
        };
        match declared.iter_mut().find(|(d, _)| d.name() == def.name()) {
            Some((_, s)) => *s = s.clone().merge(&c.settings),
            None => declared.push((def, c.settings.clone())),
        }
    }
    Ok(declared
        .into_iter()
        .filter(|(_, s)| s.is_indexed() == Some(true))
        .map(|(d, _)| d)
        .collect())
}

/// Where the attributes a default response leaves out sit: `returned:
/// never` or `request`, at the top level, in an extension, or as
/// sub-attributes.
fn hidden_by_default(
    common: &[Attribute],
    core: &Schema,
    extensions: &[(Schema, bool)],
) -> Vec<HiddenPath> {
    let hidden = |a: &Attribute| matches!(a.returned, Returned::Never | Returned::Request);
    let mut out = Vec::new();
    let mut visit = |extension: Option<&SchemaUrn>, attrs: &[Attribute]| {
        for a in attrs {
            if hidden(a) {
                out.push(HiddenPath {
                    extension: extension.map(|u| u.as_str().to_owned()),
                    attr: a.name.clone(),
                    sub: None,
                });
                continue;
            }
            for sub in a.sub_attributes.iter().filter(|s| hidden(s)) {
                out.push(HiddenPath {
                    extension: extension.map(|u| u.as_str().to_owned()),
                    attr: a.name.clone(),
                    sub: Some(sub.name.clone()),
                });
            }
        }
    };
    visit(None, common);
    visit(None, &core.attributes);
    for (ext, _) in extensions {
        visit(Some(&ext.id), &ext.attributes);
    }
    out
}

/// An attribute left out of default responses; see
/// [`ResourceSchema::hidden_by_default`].
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct HiddenPath {
    /// The extension URN holding it, or `None` at the top level.
    pub(crate) extension: Option<String>,
    /// The attribute.
    pub(crate) attr: String,
    /// The sub-attribute, if only that is hidden.
    pub(crate) sub: Option<String>,
}

/// The resource type as served: its membership attribute, if any, is a
/// multi-valued complex attribute of the core schema with a `value`
/// sub-attribute. A default one that is not is dropped.
fn check_membership(rt: &ResourceType, core: &Schema) -> Result<ResourceType, Error> {
    let Some(name) = rt.membership() else {
        return Ok(rt.clone());
    };
    match find_attribute(&core.attributes, name) {
        Some(a) if a.multi_valued && a.has_value_sub_attribute() => Ok(rt.clone()),
        _ if !rt.membership_declared() => Ok(rt.clone().without_membership()),
        _ => Err(Error::invalid_value(format!(
            "resource type {} lists its members in {name:?}, which its core schema {} does not define as a multi-valued complex attribute with a \"value\"",
            rt.name, core.id
        ))),
    }
}

fn check_unique_names(attrs: &[Attribute], schema: &SchemaUrn) -> Result<(), Error> {
    for (i, a) in attrs.iter().enumerate() {
        if attrs[..i]
            .iter()
            .any(|b| b.name.eq_ignore_ascii_case(&a.name))
        {
            return Err(Error::invalid_value(format!(
                "schema {schema} defines the attribute {} twice",
                a.name
            )));
        }
        check_unique_names(&a.sub_attributes, schema)?;
    }
    Ok(())
}

/// The frozen set of schemas and resource types. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Registry {
    inner: Arc<RegistryInner>,
}

#[derive(Debug)]
struct RegistryInner {
    schemas: Vec<Schema>,
    types: Vec<Arc<ResourceSchema>>,
}

impl Registry {
    /// The standard registry: User (with Enterprise User) and Group.
    pub fn standard() -> Self {
        match RegistryBuilder::standard().build() {
            Ok(r) => r,
            // The built-in schemas are fixed data checked by this crate's
            // tests, so building them cannot fail.
            Err(e) => unreachable!("built-in schemas are consistent: {e}"),
        }
    }

    /// Every registered schema.
    pub fn schemas(&self) -> &[Schema] {
        &self.inner.schemas
    }

    /// The schema with this URN.
    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        self.inner.schemas.iter().find(|s| s.id.matches(urn))
    }

    /// Every resource type.
    pub fn resource_types(&self) -> impl Iterator<Item = &Arc<ResourceSchema>> {
        self.inner.types.iter()
    }

    /// The resource type with this name (`User`), ignoring case.
    pub fn resource_type(&self, name: &str) -> Option<&Arc<ResourceSchema>> {
        self.inner
            .types
            .iter()
            .find(|t| t.resource_type.name.eq_ignore_ascii_case(name))
    }

    /// The resource type served at this endpoint segment (`Users`), ignoring
    /// case.
    pub fn by_endpoint(&self, segment: &str) -> Option<&Arc<ResourceSchema>> {
        self.inner.types.iter().find(|t| {
            t.resource_type
                .endpoint_segment()
                .eq_ignore_ascii_case(segment)
        })
    }
}

/// One resource type with its schemas resolved: everything validation,
/// PATCH, projection and filtering need to know about its attributes.
#[derive(Debug)]
pub struct ResourceSchema {
    resource_type: ResourceType,
    pub(super) core: Schema,
    pub(super) extensions: Vec<(Schema, bool)>,
    pub(super) common: Vec<Attribute>,
    hidden_by_default: Vec<HiddenPath>,
    indexes: Vec<IndexDef>,
    /// The paths validation requires: the core schema's required
    /// top-level attributes, then the configured ones.
    pub(super) required: Vec<RequiredRule>,
    /// [`RegistryBuilder::empty_strings_unassigned`].
    empty_strings_unassigned: bool,
}

/// An attribute path resolved through a [`ResourceSchema`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ResolvedPath<'a> {
    /// The extension schema the attribute belongs to; `None` for the core
    /// schema and the common attributes (`id`, `externalId`, `meta`).
    pub extension: Option<&'a Schema>,
    /// The attribute.
    pub attr: &'a Attribute,
    /// The sub-attribute, if the path names one.
    pub sub: Option<&'a Attribute>,
    /// Whether the path used the legacy `urn:…:User.attribute` notation
    /// (a dot instead of a colon after the extension URN).
    pub legacy_dotted_urn: bool,
}

impl ResolvedPath<'_> {
    /// The innermost attribute: the sub-attribute if any, else the
    /// attribute.
    pub fn leaf(&self) -> &Attribute {
        self.sub.unwrap_or(self.attr)
    }

    /// The key under which the attribute sits in the resource JSON's top
    /// level: the extension URN, or the attribute name.
    pub fn top_key(&self) -> &str {
        match self.extension {
            Some(ext) => ext.id.as_str(),
            None => &self.attr.name,
        }
    }

    /// The canonical path text, for messages (`name.givenName`,
    /// `urn:…:User:department`).
    pub fn display(&self) -> String {
        let mut out = String::new();
        if let Some(ext) = self.extension {
            out.push_str(ext.id.as_str());
            out.push(':');
        }
        out.push_str(&self.attr.name);
        if let Some(sub) = self.sub {
            out.push('.');
            out.push_str(&sub.name);
        }
        out
    }
}

impl ResourceSchema {
    /// The resource type.
    pub fn resource_type(&self) -> &ResourceType {
        &self.resource_type
    }

    /// Whether an empty string for an attribute that is not required means
    /// "unassigned" ([`RegistryBuilder::empty_strings_unassigned`]).
    pub fn empty_strings_unassigned(&self) -> bool {
        self.empty_strings_unassigned
    }

    /// The resource type's name (`User`).
    pub fn name(&self) -> &str {
        &self.resource_type.name
    }

    /// The attribute of the core schema that lists the resource's members
    /// (Group `members`), if the type has members; `None` for `User`. See
    /// [`ResourceType::with_membership`].
    pub fn membership(&self) -> Option<&Attribute> {
        self.core.attribute(self.resource_type.membership()?)
    }

    /// The core schema.
    pub fn core(&self) -> &Schema {
        &self.core
    }

    /// The extension schemas with their `required` flags.
    pub fn extensions(&self) -> impl Iterator<Item = (&Schema, bool)> {
        self.extensions.iter().map(|(s, r)| (s, *r))
    }

    /// The extension schema with this URN, ignoring case.
    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions
            .iter()
            .map(|(s, _)| s)
            .find(|s| s.id.matches(urn))
    }

    /// The attributes a default response leaves out (`returned: never` or
    /// `request`), computed once when the registry is built.
    pub(crate) fn hidden_by_default(&self) -> &[HiddenPath] {
        &self.hidden_by_default
    }

    /// The indexed attributes, as declared with
    /// [`RegistryBuilder::configure`]. A position in this slice is the
    /// [`IndexEntry::index`](crate::index::IndexEntry::index) and
    /// [`Predicate::index`](crate::index::Predicate::index) of
    /// [`crate::index`]; stores persist [`IndexDef::name`] instead, which
    /// stays the same when other indexes are added or removed.
    pub fn indexes(&self) -> &[IndexDef] {
        &self.indexes
    }

    /// The paths a resource must have a non-empty value at, checked on
    /// create, replace and PATCH.
    pub(crate) fn required_rules(&self) -> &[RequiredRule] {
        &self.required
    }

    /// The common attributes `id`, `externalId` and `meta` (RFC 7643 §3.1).
    pub fn common_attributes(&self) -> &[Attribute] {
        &self.common
    }

    /// A top-level attribute of the core schema or a common attribute,
    /// ignoring case.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.core
            .attribute(name)
            .or_else(|| find_attribute(&self.common, name))
    }

    /// Resolves a path (`userName`, `name.givenName`,
    /// `urn:…:enterprise:2.0:User:manager.value`) to its attribute. Returns
    /// `None` for unknown attributes and for a path that names a whole
    /// extension (see [`ResourceSchema::extension_of_path`]).
    pub fn resolve(&self, path: &AttrPath) -> Option<ResolvedPath<'_>> {
        let (extension, attrs_of) = match path.schema() {
            None => (None, None),
            Some(urn) if self.core.id.matches(urn) => (None, None),
            Some(urn) => match self.extension(urn) {
                Some(ext) => (Some(ext), Some(ext)),
                None => return self.resolve_legacy_dotted(path),
            },
        };
        let attr = match attrs_of {
            Some(ext) => ext.attribute(path.name())?,
            None => self.attribute(path.name())?,
        };
        let sub = match path.sub_attr() {
            Some(sub) => Some(attr.sub_attribute(sub)?),
            None => None,
        };
        Some(ResolvedPath {
            extension,
            attr,
            sub,
            legacy_dotted_urn: false,
        })
    }

    /// `urn:…:enterprise:2.0:User.department` parses as schema
    /// `urn:…:enterprise:2.0`, attribute `User`, sub-attribute `department`;
    /// Entra ID's pre-2019 jobs sent this form.
    fn resolve_legacy_dotted(&self, path: &AttrPath) -> Option<ResolvedPath<'_>> {
        let urn = format!("{}:{}", path.schema()?, path.name());
        let ext = self.extension(&urn)?;
        let attr = ext.attribute(path.sub_attr()?)?;
        Some(ResolvedPath {
            extension: Some(ext),
            attr,
            sub: None,
            legacy_dotted_urn: true,
        })
    }

    /// The extension a path names as a whole
    /// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
    pub fn extension_of_path(&self, path: &AttrPath) -> Option<&Schema> {
        self.extension(&path.to_urn()?)
    }

    /// The attributes at the top level of a resource: the common ones and
    /// the core schema's, in that order.
    pub fn top_level_attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.common.iter().chain(self.core.attributes.iter())
    }
}

impl SchemaFacts for ResourceSchema {
    fn attribute(&self, attr: AttrRef<'_>) -> AttrFacts {
        let resolved = attr
            .schema
            .map_or_else(
                || AttrPath::new(attr.name),
                |s| AttrPath::new(attr.name).and_then(|p| p.with_schema(s)),
            )
            .ok()
            .and_then(|p| self.resolve(&p));
        let Some(resolved) = resolved else {
            return AttrFacts::default();
        };
        let leaf = match attr.sub_attr {
            Some(sub) => match resolved.attr.sub_attribute(sub) {
                Some(s) => s,
                None => return AttrFacts::default(),
            },
            None => resolved.attr,
        };
        AttrFacts::new(leaf.case_exact, Some(leaf.kind.value_kind()))
    }

    fn is_core_schema(&self, urn: &str) -> bool {
        self.core.id.matches(urn)
    }
}

#[cfg(test)]
mod tests;
