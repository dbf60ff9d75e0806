//! The shipped policy is the matrix of ACCESS.md, cell by cell.

use keycare_authz::{Action, Basis, Kind, Policy, validate};

/// ACCESS.md's matrix as written there. R = read, W = create and change, O = change only
/// their own, S = read only once submitted, - = nothing.
const MATRIX: &[(Kind, [&str; 5])] = &[
    //                         key_team home_staff manager social_worker iro
    (Kind::ChildProfile, ["RW", "R", "RW", "RW", "R"]),
    (Kind::KeyTeam, ["R", "R", "RW", "R", "R"]),
    (Kind::KeySession, ["RW", "RW", "RW", "R", "-"]),
    (Kind::MonthlySummary, ["RW", "R", "RW", "R", "R"]),
    (Kind::DailyLog, ["RW", "RO", "RW", "R", "-"]),
    (Kind::CarePlan, ["RW", "R", "RW", "RW", "R"]),
    (Kind::SafeCarePlan, ["RW", "R", "RW", "RW", "R"]),
    (Kind::StatutoryReview, ["RW", "-", "RW", "R", "R"]),
    (Kind::ReviewReport, ["RW", "-", "RW", "R", "S"]),
    (Kind::ConsultationBooklet, ["RW", "-", "RW", "R", "R"]),
    (Kind::ReviewOutcome, ["RW", "-", "RW", "R", "RW"]),
    (Kind::HealthPlan, ["RW", "R", "RW", "R", "R"]),
    (Kind::HealthRecord, ["RW", "RW", "RW", "R", "-"]),
    (Kind::Education, ["RW", "R", "RW", "R", "R"]),
    (Kind::Family, ["RW", "R", "RW", "RW", "R"]),
    (Kind::MissingEpisode, ["RW", "RW", "RW", "R", "R"]),
    (Kind::FileAudit, ["RW", "-", "RW", "-", "-"]),
    (Kind::Clothing, ["RW", "-", "RW", "-", "-"]),
    (Kind::PathwayPlan, ["RW", "R", "RW", "RW", "R"]),
    (Kind::WeeklyPlan, ["RW", "R", "RW", "R", "-"]),
    (Kind::Chronology, ["RW", "R", "RW", "R", "R"]),
    (Kind::ChildAccessLog, ["-", "-", "R", "-", "-"]),
    // "A record marked restricted is visible only to key_team, manager and social_worker,
    // whatever the matrix says."
    (Kind::Restricted, ["R", "-", "R", "R", "-"]),
];

const COLUMNS: [Basis; 5] = [
    Basis::KeyTeam,
    Basis::HomeStaff,
    Basis::Manager,
    Basis::SocialWorker,
    Basis::Iro,
];

fn expected(cell: &str) -> Vec<Action> {
    match cell {
        "RW" => vec![Action::Read, Action::Write],
        "R" => vec![Action::Read],
        "RO" => vec![Action::Read, Action::WriteOwn],
        "S" => vec![Action::ReadSubmitted],
        "-" => vec![],
        other => panic!("unknown cell {other}"),
    }
}

#[tokio::test]
async fn the_shipped_policy_is_the_access_matrix_cell_by_cell() {
    let policy = Policy::shipped().await.unwrap();
    let mut checked = 0;
    for (kind, cells) in MATRIX {
        for (basis, cell) in COLUMNS.iter().zip(cells) {
            let want = expected(cell);
            for action in Action::ALL {
                let allowed = policy.allows(*basis, *kind, *action);
                assert_eq!(
                    allowed,
                    want.contains(action),
                    "{basis} {action} {kind}: ACCESS.md says {cell:?}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, MATRIX.len() * 5 * Action::ALL.len());
}

#[tokio::test]
async fn outside_the_matrix_council_roles_have_exactly_their_rights() {
    let policy = Policy::shipped().await.unwrap();
    let cases: &[(Basis, Kind, Action, bool)] = &[
        (Basis::Dpo, Kind::AccessLog, Action::Read, true),
        (Basis::Dpo, Kind::SubjectAccess, Action::Export, true),
        (Basis::Dpo, Kind::ChildProfile, Action::Read, false),
        (Basis::Reporting, Kind::CouncilReport, Action::Read, true),
        (Basis::Reporting, Kind::ChildProfile, Action::Read, false),
        (Basis::Manager, Kind::CouncilReport, Action::Read, true),
        (
            Basis::TenantAdmin,
            Kind::IdentityProviders,
            Action::Read,
            true,
        ),
        (Basis::TenantAdmin, Kind::Users, Action::Write, true),
        (Basis::TenantAdmin, Kind::DailyLog, Action::Read, false),
        (
            Basis::Manager,
            Kind::KeyCarerAppointment,
            Action::Write,
            true,
        ),
        (
            Basis::KeyTeam,
            Kind::KeyCarerAppointment,
            Action::Write,
            false,
        ),
        (
            Basis::HomeStaff,
            Kind::KeyCarerAppointment,
            Action::Write,
            false,
        ),
    ];
    for (basis, kind, action, allowed) in cases {
        assert_eq!(
            policy.allows(*basis, *kind, *action),
            *allowed,
            "{basis} {action} {kind}"
        );
    }
    // No council role reads any child's records.
    for basis in [Basis::Dpo, Basis::Reporting, Basis::TenantAdmin] {
        for (kind, _) in MATRIX {
            assert!(
                !policy.allows(basis, *kind, Action::Read),
                "{basis} must not read {kind}"
            );
        }
    }
}

#[test]
fn a_bad_policy_line_is_refused_naming_the_line() {
    let cases = [
        (
            "p, key_team, daily_log, read\np, keyteam, daily_log, read",
            2,
            "unknown basis \"keyteam\"",
        ),
        (
            "# comment\n\np, key_team, daily_logs, read",
            3,
            "unknown record kind \"daily_logs\"",
        ),
        (
            "p, key_team, daily_log, delete",
            1,
            "unknown action \"delete\"",
        ),
        (
            "p, key_team, daily_log",
            1,
            "expected `p, basis, kind, action`",
        ),
    ];
    for (text, line, problem) in cases {
        let err = validate(text).unwrap_err().to_string();
        assert!(err.contains(&format!("line {line}:")), "{err}");
        assert!(err.contains(problem), "{err}");
    }
    assert!(validate(keycare_authz::POLICY).unwrap() > 100);
}

#[tokio::test]
async fn the_memoized_decisions_are_the_enforcers_own() {
    let policy = Policy::shipped().await.unwrap();
    for basis in Basis::ALL {
        for kind in Kind::ALL {
            for action in Action::ALL {
                assert_eq!(
                    policy.allows(*basis, *kind, *action),
                    policy.enforce(*basis, *kind, *action).unwrap()
                );
            }
        }
    }
}

/// The restricted-record rule is policy like the rest: without the manager's `restricted`
/// line a manager no longer reads a restricted daily log, and nothing else changes.
#[tokio::test]
async fn who_sees_restricted_records_is_an_edit_of_the_policy() {
    use keycare_authz::{Access, ChildAccess, Grant, Principal, RecordFacts};
    let line = "p, manager, restricted, read";
    assert!(keycare_authz::POLICY.contains(line));
    let edited = Policy::load(
        keycare_authz::MODEL,
        &keycare_authz::POLICY.replace(line, ""),
    )
    .await
    .unwrap();
    let shipped = Policy::shipped().await.unwrap();
    let manager = ChildAccess {
        grants: vec![Grant {
            basis: Basis::Manager,
            read_only: false,
        }],
    };
    let restricted = RecordFacts {
        restricted: true,
        ..Default::default()
    };
    let decide = |policy: &Policy, facts| {
        let principal = Principal {
            user_id: uuid::Uuid::nil(),
            tenant_id: uuid::Uuid::nil(),
            active: true,
            tenant_roles: Vec::new(),
            today: chrono::NaiveDate::default(),
        };
        Access::new(policy.clone(), principal)
            .decide(&manager, Kind::DailyLog, Action::Read, facts)
            .is_allowed()
    };
    assert!(decide(&shipped, restricted));
    assert!(!decide(&edited, restricted));
    assert!(decide(&edited, RecordFacts::default()));
}
