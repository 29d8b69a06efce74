#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn spec() -> WorkloadSpec {
    WorkloadSpec {
        hosts: 200,
        groups: 7,
        members_per_group: 20,
        largest_group: Some(120),
        dialect: DialectChoice::Mixed,
        seed: 42,
    }
}

#[test]
fn same_seed_same_workload_other_seed_other_workload() {
    let a = Workload::generate(&spec()).unwrap();
    let b = Workload::generate(&spec()).unwrap();
    assert_eq!(a, b);
    let c = Workload::generate(&WorkloadSpec { seed: 43, ..spec() }).unwrap();
    assert_ne!(a.hosts, c.hosts);
    assert!(
        c.hosts
            .iter()
            .all(|h| h.user_name.ends_with("@s43.northwind.example"))
    );
}

#[test]
fn the_directory_does_not_depend_on_the_dialect_or_the_group_options() {
    let mixed = Workload::generate(&spec()).unwrap();
    let legacy = Workload::generate(&WorkloadSpec {
        dialect: DialectChoice::Legacy,
        ..spec()
    })
    .unwrap();
    let names =
        |w: &Workload| -> Vec<String> { w.hosts.iter().map(|h| h.user_name.clone()).collect() };
    assert_eq!(names(&mixed), names(&legacy));
    assert!(legacy.hosts.iter().all(|h| h.dialect == Dialect::Legacy));
    let members =
        |w: &Workload| -> Vec<Vec<usize>> { w.groups.iter().map(|g| g.members.clone()).collect() };
    assert_eq!(members(&mixed), members(&legacy));
    // Hosts do not depend on the groups, and fewer hosts are a prefix.
    let fewer = Workload::generate(&WorkloadSpec {
        hosts: 50,
        groups: 0,
        largest_group: None,
        ..spec()
    })
    .unwrap();
    assert_eq!(fewer.hosts[..], mixed.hosts[..50]);
}

#[test]
fn every_mapped_attribute_is_present_in_the_create_body() {
    let w = Workload::generate(&spec()).unwrap();
    for host in &w.hosts {
        let body = host.create_body();
        assert_eq!(body["userName"], host.user_name.as_str());
        assert!(!host.given_name.is_empty() && !host.family_name.is_empty());
        assert_eq!(body["name"]["givenName"], host.given_name.as_str());
        assert_eq!(body["name"]["familyName"], host.family_name.as_str());
        let typed = |attr: &str, ty: &str| -> String {
            body[attr]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["type"] == ty)
                .unwrap_or_else(|| panic!("no {ty} {attr} in {body}"))["value"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(typed("emails", "work"), host.work_email);
        assert_eq!(typed("emails", "other"), host.other_email);
        assert_eq!(typed("phoneNumbers", "work"), host.work_phone);
        assert_eq!(typed("phoneNumbers", "mobile"), host.mobile_phone);
        let ext = &body[ENTERPRISE_SCHEMA];
        assert_eq!(ext["organization"], host.organization.as_str());
        assert_eq!(ext["department"], host.department.as_str());
        match host.dialect {
            Dialect::Legacy => assert_eq!(body["active"], "True"),
            Dialect::Flag => assert_eq!(body["active"], true),
        }
        assert!(host.user_name.is_ascii(), "{}", host.user_name);
    }
}

#[test]
fn user_names_are_unique() {
    let w = Workload::generate(&spec()).unwrap();
    let mut names: Vec<_> = w.hosts.iter().map(|h| h.user_name.to_lowercase()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), w.hosts.len());
    let mut groups: Vec<_> = w
        .groups
        .iter()
        .map(|g| g.display_name.to_lowercase())
        .collect();
    groups.sort();
    groups.dedup();
    assert_eq!(groups.len(), w.groups.len());
}

#[test]
fn group_sizes_average_out_and_respect_the_largest() {
    let w = Workload::generate(&spec()).unwrap();
    assert_eq!(w.groups.len(), 7);
    assert_eq!(w.groups[0].members.len(), 120);
    assert_eq!(w.memberships(), 7 * 20);
    for g in &w.groups {
        assert!(g.members.len() <= 120);
        let mut m = g.members.clone();
        m.dedup();
        assert_eq!(m.len(), g.members.len(), "no duplicate members");
        assert!(g.members.iter().all(|&i| i < 200));
    }
    let no_largest = Workload::generate(&WorkloadSpec {
        largest_group: None,
        ..spec()
    })
    .unwrap();
    assert_eq!(no_largest.memberships(), 7 * 20);
}

#[test]
fn impossible_specs_are_refused() {
    let too_many = WorkloadSpec {
        members_per_group: 201,
        ..spec()
    };
    assert!(Workload::generate(&too_many).is_err());
    let small_largest = WorkloadSpec {
        largest_group: Some(5),
        ..spec()
    };
    assert!(Workload::generate(&small_largest).is_err());
    let absurd = WorkloadSpec {
        hosts: usize::MAX,
        ..spec()
    };
    assert!(Workload::generate(&absurd).is_err());
    let overflow = WorkloadSpec {
        groups: MAX_GROUPS,
        members_per_group: usize::MAX / 2,
        hosts: MAX_HOSTS,
        largest_group: None,
        ..spec()
    };
    assert!(Workload::generate(&overflow).is_err());
    let huge_largest = WorkloadSpec {
        largest_group: Some(201),
        ..spec()
    };
    assert!(Workload::generate(&huge_largest).is_err());
}

#[test]
fn lookups_are_form_encoded_like_entra() {
    let w = Workload::generate(&spec()).unwrap();
    let h = &w.hosts[0];
    let path = h.lookup_path();
    assert!(path.starts_with("/Users?filter=userName+eq+%22"), "{path}");
    assert!(path.contains("%40s42.northwind.example%22"), "{path}");
    let g = w.groups[0].lookup_path();
    assert!(
        g.starts_with("/Groups?excludedAttributes=members&filter=displayName+eq+%22"),
        "{g}"
    );
    assert_eq!(
        eq_filter_query("userName", "a\"b"),
        "filter=userName+eq+%22a%5C%22b%22"
    );
}

#[test]
fn member_removals_follow_the_dialects() {
    let legacy = member_remove_patch("u1", Dialect::Legacy);
    assert_eq!(legacy["schemas"][0], PATCH_SCHEMA);
    assert_eq!(legacy["Operations"][0]["op"], "Remove");
    assert_eq!(legacy["Operations"][0]["path"], "members");
    assert_eq!(legacy["Operations"][0]["value"][0]["value"], "u1");
    let flag = member_remove_patch("u1", Dialect::Flag);
    assert_eq!(flag["Operations"][0]["op"], "remove");
}

#[test]
fn patch_bodies_follow_the_dialects() {
    let change = HostChange {
        department: "Security".into(),
        work_phone: "+1 206 555 0199".into(),
        other_email: "x@home.example".into(),
        family_name: "Hart-Lowe".into(),
    };
    let legacy = change.patch_body(Dialect::Legacy);
    let ops = legacy["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 4);
    assert!(ops.iter().all(|o| o["path"].is_string()));
    assert_eq!(ops[2]["op"], "Add");
    let flag = change.patch_body(Dialect::Flag);
    let ops = flag["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 3);
    assert_eq!(ops[2]["op"], "replace");
    assert_eq!(ops[2]["value"]["name.familyName"], "Hart-Lowe");
    assert_eq!(
        ops[2]["value"][format!("{ENTERPRISE_SCHEMA}:department")],
        "Security"
    );
    assert_eq!(
        active_patch(false, Dialect::Legacy)["Operations"][0],
        json!({"op": "Replace", "path": "active", "value": "False"})
    );
    assert_eq!(
        active_patch(true, Dialect::Flag)["Operations"][0],
        json!({"op": "replace", "path": "active", "value": true})
    );
    assert_eq!(
        member_add_patch(["a", "b"], Dialect::Legacy)["Operations"][0],
        json!({"op": "Add", "path": "members",
               "value": [{"$ref": null, "value": "a"}, {"$ref": null, "value": "b"}]})
    );
}

#[test]
fn the_update_plan_is_seeded_and_sized_by_the_fraction() {
    let w = Workload::generate(&spec()).unwrap();
    let a = UpdatePlan::new(&w, 42, 0.5);
    assert_eq!(a, UpdatePlan::new(&w, 42, 0.5));
    assert_ne!(a, UpdatePlan::new(&w, 7, 0.5));
    assert_eq!(a.changes.len() + a.deactivate.len(), 100);
    assert!(!a.deactivate.is_empty());
    assert!(a.reactivate.iter().all(|i| a.deactivate.contains(i)));
    assert_eq!(a.inactive_after(), a.deactivate.len() - a.reactivate.len());
    let none = UpdatePlan::new(&w, 42, 0.0);
    assert!(none.changes.is_empty() && none.deactivate.is_empty());
    let all = UpdatePlan::new(&w, 42, 1.0);
    assert_eq!(all.changes.len() + all.deactivate.len(), 200);
}

#[test]
fn guids_look_like_guids() {
    let mut r = rng(1, Stream::Probe, 0);
    let g = guid(&mut r);
    assert_eq!(g.len(), 36);
    assert_eq!(g.matches('-').count(), 4);
    assert_ne!(g, guid(&mut r));
}
