//! Shared pieces of the scim-core targets: a small JSON generator driven by
//! the fuzz input, and the realistic resources both targets store.

#![allow(dead_code)]

use arbitrary::{Result, Unstructured};
use serde_json::{Map, Value, json};

/// Ids of the stored resources, fixed so that crashes reproduce.
pub const USER_ID: &str = "2819c223-7f76-453a-919d-413861904646";
/// A second user, a member of the group.
pub const OTHER_USER_ID: &str = "902c246b-6245-4190-8e05-00816be7344a";
/// The group.
pub const GROUP_ID: &str = "e9e30dba-f08f-4109-8486-d5c6a331660a";

/// The enterprise extension's URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The user both targets store, as a client would create it.
pub fn user_body() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "bjensen@example.com",
        "externalId": "bjensen",
        "active": true,
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen",
                 "givenName": "Barbara", "middleName": "Jane"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"},
                         {"value": "555-555-4444", "type": "mobile"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza",
                       "locality": "Hollywood", "region": "CA", "postalCode": "91608",
                       "country": "USA", "primary": true}],
        "roles": [{"value": "admin", "display": "Admin", "primary": false}],
        "entitlements": [{"value": "read"}],
        ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations",
                     "costCenter": "4130", "manager": {"value": OTHER_USER_ID}}
    })
}

/// The second user.
pub fn other_user_body() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "jsmith@example.com",
        "active": false,
        "emails": [{"value": "jsmith@example.com", "type": "work"}]
    })
}

/// The group, with both users as members.
pub fn group_body() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Tour Guides",
        "externalId": "tour-guides",
        "members": [{"value": USER_ID, "type": "User"}, {"value": OTHER_USER_ID}]
    })
}

/// Paths that real clients send, Entra ID's dialect included.
pub const PATHS: &[&str] = &[
    "userName",
    "displayName",
    "active",
    "title",
    "externalId",
    "nickName",
    "password",
    "locale",
    "timezone",
    "userType",
    "preferredLanguage",
    "profileUrl",
    "name",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    "emails",
    "emails.value",
    "emails.type",
    "emails[type eq \"work\"]",
    "emails[type eq \"work\"].value",
    "emails[type eq \"other\"].value",
    "emails[primary eq true].value",
    "emails[type eq \"work\" and primary eq true].value",
    "emails[value co \"@\"].display",
    "emails[not (type eq \"work\")]",
    "phoneNumbers[type eq \"mobile\"].value",
    "phoneNumbers[type eq \"fax\"].value",
    "phoneNumbers",
    "addresses",
    "addresses[type eq \"work\"].streetAddress",
    "addresses[type eq \"work\"].formatted",
    "addresses[type eq \"home\"].country",
    "roles",
    "roles[value eq \"admin\"]",
    "roles[primary eq \"True\"].value",
    "entitlements",
    "ims",
    "photos",
    "x509Certificates",
    "groups",
    "id",
    "meta",
    "meta.created",
    "meta.version",
    "schemas",
    "members",
    "members.value",
    "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]",
    "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]",
    "members[value eq \"missing\"]",
    "members[type eq \"User\"].display",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"].value",
    "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
    "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
    "urn:ietf:params:scim:schemas:core:2.0:Group:members",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:costCenter",
    "urn:ietf:params:scim:schemas:extension:unknown:2.0:User:thing",
    "unknownAttribute",
    "name.unknown",
    "emails[type eq \"work\"].unknown",
    "",
    " ",
];

/// Strings that mean something to SCIM: booleans as Entra ID spells
/// them, ids of stored resources, schema URNs, types.
pub const STRINGS: &[&str] = &[
    "True",
    "False",
    "true",
    "",
    "work",
    "home",
    "other",
    "mobile",
    "User",
    "Group",
    "admin",
    "bjensen@example.com",
    "jsmith@example.com",
    "2819c223-7f76-453a-919d-413861904646",
    "902c246b-6245-4190-8e05-00816be7344a",
    "e9e30dba-f08f-4109-8486-d5c6a331660a",
    "missing",
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:Group",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "2011-08-01T18:29:49.793Z",
    "W/\"1\"",
];

/// Object keys: attribute names of the stored resources and their
/// sub-attributes, in the case clients use and in others.
pub const KEYS: &[&str] = &[
    "value",
    "type",
    "primary",
    "display",
    "$ref",
    "userName",
    "displayName",
    "active",
    "name",
    "givenName",
    "familyName",
    "formatted",
    "emails",
    "phoneNumbers",
    "addresses",
    "streetAddress",
    "roles",
    "members",
    "manager",
    "employeeNumber",
    "id",
    "meta",
    "created",
    "schemas",
    "externalId",
    "groups",
    "password",
    "Value",
    "USERNAME",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
];

/// A JSON value, at most `depth` levels deep.
pub fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let pick: u8 = u.int_in_range(0..=11)?;
    Ok(match pick {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => json!(u.arbitrary::<i64>()?),
        3 => serde_json::Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
        4 | 5 => Value::String((*u.choose(STRINGS)?).to_owned()),
        6 => Value::String(u.arbitrary()?),
        7 | 8 if depth > 0 => {
            let len = u.int_in_range(0..=4)?;
            let mut map = Map::new();
            for _ in 0..len {
                let key = if u.ratio(3, 4)? {
                    (*u.choose(KEYS)?).to_owned()
                } else {
                    u.arbitrary()?
                };
                map.insert(key, value(u, depth - 1)?);
            }
            Value::Object(map)
        }
        9 | 10 if depth > 0 => {
            let len = u.int_in_range(0..=4)?;
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(value(u, depth - 1)?);
            }
            Value::Array(items)
        }
        _ => Value::String((*u.choose(STRINGS)?).to_owned()),
    })
}

/// An operation name, mostly as clients spell them.
pub fn op_name(u: &mut Unstructured<'_>) -> Result<Value> {
    const OPS: &[&str] = &[
        "add", "remove", "replace", "Add", "Remove", "Replace", "ADD",
    ];
    Ok(if u.ratio(15, 16)? {
        Value::String((*u.choose(OPS)?).to_owned())
    } else {
        value(u, 1)?
    })
}

/// A path: from the dictionary, a raw string, or (rarely) not a string.
pub fn path(u: &mut Unstructured<'_>) -> Result<Option<Value>> {
    Ok(match u.int_in_range(0..=15)? {
        0 => None,
        1 => Some(Value::String(u.arbitrary()?)),
        2 => Some(value(u, 1)?),
        _ => Some(Value::String((*u.choose(PATHS)?).to_owned())),
    })
}

/// A `PatchOp` body of a few operations.
pub fn patch_body(u: &mut Unstructured<'_>) -> Result<Value> {
    let count = u.int_in_range(1..=6)?;
    let mut ops = Vec::with_capacity(count);
    for _ in 0..count {
        let mut op = Map::new();
        op.insert("op".to_owned(), op_name(u)?);
        if let Some(path) = path(u)? {
            op.insert("path".to_owned(), path);
        }
        if u.ratio(7, 8)? {
            op.insert("value".to_owned(), value(u, 3)?);
        }
        ops.push(Value::Object(op));
    }
    let schemas = if u.ratio(31, 32)? {
        json!(["urn:ietf:params:scim:api:messages:2.0:PatchOp"])
    } else {
        value(u, 1)?
    };
    Ok(json!({"schemas": schemas, "Operations": ops}))
}
