//! Query parameters (RFC 7644 §3.4.2, §3.9) and the `SearchRequest`
//! message (§3.4.3), turned into a [`ListQuery`].

use serde_json::Value;

use super::ServiceConfig;
use crate::Error;
use crate::error::Detail;
use crate::filter::{AttrPath, Filter};
use crate::list::{ListQuery, Page, Sort, SortOrder};
use crate::project::Projection;
use crate::schema::{ResourceSchema, Returned, SchemaUrn};

/// The list, search and projection parameters of one request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    pub(crate) filter: Option<String>,
    pub(crate) sort_by: Option<String>,
    pub(crate) sort_order: Option<String>,
    pub(crate) start_index: Option<String>,
    pub(crate) count: Option<String>,
    pub(crate) cursor: Option<String>,
    pub(crate) attributes: Option<String>,
    pub(crate) excluded_attributes: Option<String>,
}

impl Params {
    /// Reads the query string, form-decoded (`+` is a space, `%22` a
    /// quote). Parameter names are matched without regard to case; unknown
    /// parameters (such as Entra ID's `aadOptscim062020`) are ignored; a
    /// repeated parameter is an error, since which one was meant is unclear.
    pub(crate) fn from_query(query: Option<&str>) -> Result<Self, Error> {
        let mut p = Self::default();
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match name.to_ascii_lowercase().as_str() {
                "filter" => &mut p.filter,
                "sortby" => &mut p.sort_by,
                "sortorder" => &mut p.sort_order,
                "startindex" => &mut p.start_index,
                "count" => &mut p.count,
                "cursor" => &mut p.cursor,
                "attributes" => &mut p.attributes,
                "excludedattributes" => &mut p.excluded_attributes,
                _ => continue,
            };
            if slot.is_some() {
                return Err(Error::invalid_value(format!(
                    "the query parameter {name:?} is given more than once"
                )));
            }
            *slot = Some(value.into_owned());
        }
        Ok(p)
    }

    /// Reads a `SearchRequest` body (RFC 7644 §3.4.3); query parameters are
    /// not used with it.
    pub(crate) fn from_search_request(body: Value) -> Result<Self, Error> {
        let Value::Object(body) = body else {
            return Err(Error::invalid_syntax(
                "a search request must be a JSON object".to_owned(),
            ));
        };
        let mut p = Self::default();
        let mut has_schema = false;
        for (key, value) in body {
            let text = |value: Value, what: &str| -> Result<Option<String>, Error> {
                match value {
                    Value::Null => Ok(None),
                    Value::String(s) => Ok(Some(s)),
                    Value::Number(n) => Ok(Some(n.to_string())),
                    _ => Err(Error::invalid_value(format!("\"{what}\" must be a string"))),
                }
            };
            let list = |value: Value, what: &str| -> Result<Option<String>, Error> {
                match value {
                    Value::Null => Ok(None),
                    Value::String(s) => Ok(Some(s)),
                    Value::Array(items) => items
                        .into_iter()
                        .map(|v| match v {
                            Value::String(s) => Ok(s),
                            _ => Err(Error::invalid_value(format!(
                                "\"{what}\" must be an array of attribute names"
                            ))),
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(|v| Some(v.join(","))),
                    _ => Err(Error::invalid_value(format!(
                        "\"{what}\" must be an array of attribute names"
                    ))),
                }
            };
            match key.to_ascii_lowercase().as_str() {
                "schemas" => {
                    has_schema = value.as_array().is_some_and(|a| {
                        a.iter().any(|s| {
                            s.as_str()
                                .is_some_and(|s| SchemaUrn::SEARCH_REQUEST.matches(s))
                        })
                    });
                }
                "filter" => p.filter = text(value, "filter")?,
                "sortby" => p.sort_by = text(value, "sortBy")?,
                "sortorder" => p.sort_order = text(value, "sortOrder")?,
                "startindex" => p.start_index = text(value, "startIndex")?,
                "count" => p.count = text(value, "count")?,
                "cursor" => p.cursor = text(value, "cursor")?,
                "attributes" => p.attributes = list(value, "attributes")?,
                "excludedattributes" => p.excluded_attributes = list(value, "excludedAttributes")?,
                _ => {}
            }
        }
        if !has_schema {
            return Err(Error::invalid_syntax(format!(
                "a search request must list \"{}\" in \"schemas\"",
                SchemaUrn::SEARCH_REQUEST
            )));
        }
        Ok(p)
    }

    /// The projection the parameters ask for.
    pub(crate) fn projection(&self, schema: &ResourceSchema) -> Result<Projection, Error> {
        Projection::parse(
            schema,
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }

    /// The parsed filter, if any.
    pub(crate) fn filter(&self) -> Result<Option<Filter>, Error> {
        let filter: Filter = match self.filter.as_deref().map(str::trim) {
            None | Some("") => return Ok(None),
            Some(text) => text.parse()?,
        };
        if has_nul(&filter) {
            return Err(Error::invalid_filter(
                "filter values cannot contain a NUL character".to_owned(),
            ));
        }
        Ok(Some(filter))
    }

    /// The whole query for one resource type.
    pub(crate) fn list_query(
        &self,
        schema: &ResourceSchema,
        config: &ServiceConfig,
    ) -> Result<ListQuery, Error> {
        let int = |v: &Option<String>, name: &str| -> Result<Option<i64>, Error> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(s) => s.parse::<i64>().map(Some).or_else(|_| {
                    // Values beyond i64 are read as the nearest bound.
                    if s.bytes().all(|b| b.is_ascii_digit()) {
                        Ok(Some(i64::MAX))
                    } else if s.starts_with('-') && s[1..].bytes().all(|b| b.is_ascii_digit()) {
                        Ok(Some(i64::MIN))
                    } else {
                        Err(Error::invalid_value(format!(
                            "\"{name}\" must be an integer, not {s:?}"
                        )))
                    }
                }),
            }
        };
        let start_index = int(&self.start_index, "startIndex")?;
        let count = int(&self.count, "count")?;
        let page = match &self.cursor {
            Some(cursor) => {
                if start_index.is_some() {
                    return Err(Error::invalid_value(
                        "give either \"cursor\" or \"startIndex\", not both".to_owned(),
                    ));
                }
                Page::cursor(
                    Some(cursor.clone()),
                    count,
                    config.default_page_size,
                    config.max_results,
                )
            }
            None => Page::index(
                start_index,
                count,
                config.default_page_size,
                config.max_results,
            ),
        };
        let sort = match self.sort_by.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(by) => {
                let path: AttrPath = by.parse().map_err(|e| {
                    Error::InvalidPath(
                        Detail::new(format!("invalid sortBy {by:?}: {e}")).with_source(e),
                    )
                })?;
                let order = match &self.sort_order {
                    Some(o) => SortOrder::parse(o.trim())?,
                    None => SortOrder::Ascending,
                };
                Some(Sort::new(schema, path, order)?)
            }
        };
        let mut query = ListQuery::new(page);
        query.filter = self.filter()?;
        if let Some(filter) = &query.filter {
            super::limits::check_filter(config, filter, "the filter")?;
        }
        query.sort = sort;
        query.projection = self.projection(schema)?;
        check_never_returned(schema, &query)?;
        Ok(query)
    }
}

/// Whether a comparison value holds a NUL (`\u0000`), which no stored
/// value can contain.
fn has_nul(filter: &Filter) -> bool {
    match filter {
        Filter::Compare(cmp) => cmp.value().as_str().is_some_and(|s| s.contains('\0')),
        Filter::Present(_) => false,
        Filter::ValuePath(vp) => has_nul(vp.filter()),
        Filter::Not(inner) => has_nul(inner),
        Filter::And(ops) | Filter::Or(ops) => ops.iter().any(has_nul),
    }
}

/// Refuses filters and sorting on attributes that are never returned
/// (`password`): matching them would let a caller test guesses.
pub(crate) fn check_never_returned(
    schema: &ResourceSchema,
    query: &ListQuery,
) -> Result<(), Error> {
    let mut bad = None;
    let mut check = |path: &AttrPath| {
        if let Some(r) = schema.resolve(path) {
            if r.leaf().returned == Returned::Never || r.attr.returned == Returned::Never {
                bad.get_or_insert_with(|| r.display());
            }
        }
    };
    if let Some(filter) = &query.filter {
        filter.for_each_path(&mut check);
    }
    if let Some(sort) = &query.sort {
        check(&sort.by);
    }
    match bad {
        Some(name) => Err(Error::invalid_filter(format!(
            "\"{name}\" is never returned and cannot be filtered or sorted on"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn form_encoding_is_decoded_and_unknown_parameters_ignored() {
        let p = Params::from_query(Some(
            "excludedAttributes=members&filter=displayName+eq+%22Reception+Hosts%22&aadOptscim062020",
        ))
        .unwrap();
        assert_eq!(
            p.filter.as_deref(),
            Some("displayName eq \"Reception Hosts\"")
        );
        assert_eq!(p.excluded_attributes.as_deref(), Some("members"));
        let p = Params::from_query(Some("filter=userName%20eq%20%22a%26b%2Bc%C3%A9%22")).unwrap();
        assert_eq!(p.filter.as_deref(), Some("userName eq \"a&b+cé\""));
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(Params::from_query(Some("count=1&count=2")).is_err());
    }

    #[test]
    fn search_requests_need_their_schema() {
        let p = Params::from_search_request(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "attributes": ["displayName", "userName"],
            "filter": "displayName sw \"smith\"",
            "startIndex": 1,
            "count": 10,
        }))
        .unwrap();
        assert_eq!(p.attributes.as_deref(), Some("displayName,userName"));
        assert_eq!(p.count.as_deref(), Some("10"));
        assert!(Params::from_search_request(json!({"filter": "a pr"})).is_err());
        assert!(Params::from_search_request(json!([])).is_err());
    }
}
