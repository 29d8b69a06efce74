//! Benchmarks of `scim2-filter`: parsing a short filter, the longest RFC
//! example, `or` chains of growing length (parsing is linear in the input)
//! and 64 levels of parentheses, and evaluating a value-path filter with a
//! prepared `Matcher` over 100,000 users.
//!
//! Run with `cargo bench --manifest-path benches/Cargo.toml --bench filter`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use scim2_filter::eval::DefaultFacts;
use serde_json::{Value, json};

const SHORT: &str = r#"userName eq "bjensen@example.com""#;

/// The longest example filter of RFC 7644 §3.4.2.2.
const LONGEST_RFC: &str = r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#;

const WORK_EMAIL: &str = r#"emails[type eq "work" and value co "@example.com"]"#;

const USERS: usize = 100_000;

/// `userName eq "user0@example.com" or …` with `terms` comparisons.
fn or_chain(terms: usize) -> String {
    (0..terms)
        .map(|i| format!(r#"userName eq "user{i}@example.com""#))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// `users` generated users: a third have a work email, half of the emails
/// are at example.com, so a sixth match `WORK_EMAIL`.
fn users(users: usize) -> Vec<Value> {
    (0..users)
        .map(|i| {
            let kind = if i % 3 == 0 { "work" } else { "home" };
            let domain = if i % 2 == 0 {
                "example.com"
            } else {
                "example.org"
            };
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": format!("{i:08x}-7f76-453a-919d-413861904646"),
                "userName": format!("user{i}@{domain}"),
                "name": {"givenName": format!("Given{i}"), "familyName": "Jensen"},
                "active": i % 5 != 0,
                "emails": [
                    {"value": format!("u{i}@other.net"), "type": "other"},
                    {"value": format!("user{i}@{domain}"), "type": kind, "primary": true},
                ],
                "meta": {"resourceType": "User", "lastModified": "2011-05-13T04:42:34Z"},
            })
        })
        .collect()
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.bench_function("short", |b| {
        b.iter(|| scim2_filter::parse(black_box(SHORT)).unwrap());
    });
    group.bench_function("longest_rfc_example", |b| {
        b.iter(|| scim2_filter::parse(black_box(LONGEST_RFC)).unwrap());
    });
    let nested = format!("{}title pr{}", "(".repeat(64), ")".repeat(64));
    group.bench_function("nested_64", |b| {
        b.iter(|| scim2_filter::parse(black_box(&nested)).unwrap());
    });
    group.finish();

    let mut group = c.benchmark_group("parse_or_chain");
    for terms in [16, 64, 256, 1024] {
        let text = or_chain(terms);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(terms), &text, |b, text| {
            b.iter(|| scim2_filter::parse(black_box(text)).unwrap());
        });
    }
    group.finish();
}

fn eval(c: &mut Criterion) {
    let users = users(USERS);
    let matcher = scim2_filter::parse(WORK_EMAIL)
        .unwrap()
        .matcher(&DefaultFacts)
        .unwrap();
    let matching = users.iter().filter(|u| matcher.matches(u).unwrap()).count();
    assert_eq!(matching, USERS.div_ceil(6));

    let mut group = c.benchmark_group("eval");
    group.throughput(Throughput::Elements(USERS as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("value_path_100k_users", |b| {
        b.iter(|| {
            black_box(&users)
                .iter()
                .filter(|u| matcher.matches(u).unwrap())
                .count()
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: the whole suite takes a few minutes on a 2-core VM.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = parse, eval
}
criterion_main!(benches);
