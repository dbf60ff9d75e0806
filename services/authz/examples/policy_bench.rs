//! Measures policy decisions (PERFORMANCE.md: under 2 µs each, cached). Not a test: it
//! prints figures.
//!
//!     cargo run --release -p keycare-authz --example policy_bench

use keycare_authz::{
    Access, Action, Basis, ChildAccess, Grant, Kind, Policy, Principal, RecordFacts,
};
use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = Policy::shipped().await?;
    let combos: Vec<(Basis, Kind, Action)> = Basis::ALL
        .iter()
        .flat_map(|b| {
            Kind::ALL
                .iter()
                .flat_map(move |k| Action::ALL.iter().map(move |a| (*b, *k, *a)))
        })
        .collect();
    const N: usize = 2_000_000;
    for _ in 0..2 {
        let start = Instant::now();
        let mut allowed = 0usize;
        for i in 0..N {
            let (b, k, a) = combos[i % combos.len()];
            allowed += usize::from(policy.allows(b, k, a));
        }
        let per = start.elapsed().as_nanos() as f64 / N as f64;
        println!(
            "policy.allows: {N} decisions over {} combinations, {per:.0} ns each ({allowed} allowed)",
            combos.len()
        );
    }
    // A whole record decision for a child held on two bases (key team and home staff).
    let access = Access::new(
        policy,
        Principal {
            user_id: uuid::Uuid::nil(),
            tenant_id: uuid::Uuid::nil(),
            active: true,
            tenant_roles: vec![],
            today: chrono::Utc::now().date_naive(),
        },
    );
    let child = ChildAccess {
        grants: vec![
            Grant {
                basis: Basis::KeyTeam,
                read_only: false,
            },
            Grant {
                basis: Basis::HomeStaff,
                read_only: false,
            },
        ],
    };
    let start = Instant::now();
    let mut allowed = 0usize;
    for i in 0..N {
        let kind = Kind::ALL[i % 22];
        allowed += usize::from(
            access
                .decide(&child, kind, Action::Read, RecordFacts::default())
                .is_allowed(),
        );
    }
    let per = start.elapsed().as_nanos() as f64 / N as f64;
    println!("access.decide (two bases, restricted rule): {per:.0} ns each ({allowed} allowed)");
    Ok(())
}
