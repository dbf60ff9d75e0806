//! The demo data of API.md: Northshire County Council (Oak House, Beech Lodge, Willow
//! Court) and Southdale Borough Council (Harbour View), with users for every role, children
//! with records of every kind, overdue items, a closed placement, a key carer change and a
//! restricted record.
//!
//! Dates are relative to the day it runs, so "overdue" means overdue now. Ids are derived from
//! names (UUID v5), and a council already present is left untouched: running it twice
//! changes nothing.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use keycare_domain::db::begin_for_tenant;
use keycare_entity as e;
use keycare_entity::enums::*;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, Set,
};
use serde_json::json;
use uuid::Uuid;

/// The issuer identifier of the local development issuer (`iss` of its tokens). It does not
/// depend on the address the gateway listens on; the JWKS URL does and is set at start-up.
pub const DEV_ISSUER: &str = "https://dev-issuer.keycare.localhost";
/// The audience of development tokens.
pub const DEV_AUDIENCE: &str = "keycare";

/// What `seed demo` did.
#[derive(Debug, Default)]
pub struct DemoReport {
    pub created: Vec<&'static str>,
    pub already_present: Vec<&'static str>,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.created.is_empty() {
            write!(f, "demo data loaded: {}", self.created.join(", "))?;
        }
        if !self.already_present.is_empty() {
            if !self.created.is_empty() {
                write!(f, "; ")?;
            }
            write!(
                f,
                "already present (unchanged): {}",
                self.already_present.join(", ")
            )?;
        }
        Ok(())
    }
}

/// Loads the demo councils that are not there yet, each in one transaction.
pub async fn seed_demo(db: &DatabaseConnection) -> Result<DemoReport, DbErr> {
    let today = Utc::now().date_naive();
    let mut report = DemoReport::default();
    for council in [northshire(), southdale()] {
        let tenant_id = id(council.slug, "tenant", "");
        let txn = begin_for_tenant(db, tenant_id).await?;
        let present = e::tenant::Entity::find_by_id(tenant_id).count(&txn).await? > 0;
        if present {
            report.already_present.push(council.name);
            txn.commit().await?;
            continue;
        }
        Seeder {
            db: &txn,
            tenant_id,
            slug: council.slug,
            today,
            n: 0,
        }
        .council(&council)
        .await?;
        txn.commit().await?;
        report.created.push(council.name);
    }
    Ok(report)
}

/// A deterministic id from a council, a kind and a key.
pub fn id(slug: &str, kind: &str, key: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("keycare:demo:{slug}:{kind}:{key}").as_bytes(),
    )
}

struct Council {
    slug: &'static str,
    name: &'static str,
    domain: &'static str,
    homes: Vec<Home>,
    users: Vec<User>,
}

struct Home {
    key: &'static str,
    name: &'static str,
    urn: &'static str,
    children: Vec<Child>,
}

struct User {
    local: &'static str,
    name: &'static str,
    title: &'static str,
    home: Option<(&'static str, HomeRole)>,
    roles: &'static [TenantRoleKind],
    active: bool,
}

struct Child {
    key: &'static str,
    legal_name: &'static str,
    preferred: Option<&'static str>,
    age_years: i64,
    gender: &'static str,
    key_carer: &'static str,
    co_key: Option<&'static str>,
    /// A former key carer replaced with a reason (the change history).
    former_key_carer: Option<(&'static str, KeyCarerChangeReason)>,
    social_worker: Option<&'static str>,
    iro: Option<&'static str>,
    admitted_days_ago: i64,
    /// Some(days ago) for a closed placement.
    left_days_ago: Option<i64>,
    /// Leaves some records out so that items are overdue.
    behind: bool,
    restricted_record: bool,
}

fn user(
    local: &'static str,
    name: &'static str,
    title: &'static str,
    home: Option<(&'static str, HomeRole)>,
    roles: &'static [TenantRoleKind],
) -> User {
    User {
        local,
        name,
        title,
        home,
        roles,
        active: true,
    }
}

#[allow(clippy::too_many_arguments)]
fn child(
    key: &'static str,
    legal_name: &'static str,
    preferred: Option<&'static str>,
    age_years: i64,
    gender: &'static str,
    key_carer: &'static str,
    admitted_days_ago: i64,
) -> Child {
    Child {
        key,
        legal_name,
        preferred,
        age_years,
        gender,
        key_carer,
        co_key: None,
        former_key_carer: None,
        social_worker: None,
        iro: None,
        admitted_days_ago,
        left_days_ago: None,
        behind: false,
        restricted_record: false,
    }
}

fn northshire() -> Council {
    use HomeRole::*;
    use TenantRoleKind as R;
    let mut former = user(
        "former.oak",
        "Gary Platt",
        "Residential care worker (left)",
        Some(("oak", Staff)),
        &[],
    );
    former.active = false;
    Council {
        slug: "northshire",
        name: "Northshire County Council",
        domain: "northshire.example",
        users: vec![
            user(
                "manager.oak",
                "Helen Marsh",
                "Registered Manager",
                Some(("oak", Manager)),
                &[],
            ),
            user(
                "keycarer.oak",
                "Sam Okafor",
                "Senior residential care worker",
                Some(("oak", Staff)),
                &[],
            ),
            user(
                "cokey.oak",
                "Lucy Brennan",
                "Residential care worker",
                Some(("oak", Staff)),
                &[],
            ),
            user(
                "staff.oak",
                "Tom Reilly",
                "Residential care worker",
                Some(("oak", Staff)),
                &[],
            ),
            user(
                "senior.oak",
                "Aisha Begum",
                "Senior residential care worker",
                Some(("oak", Staff)),
                &[],
            ),
            user(
                "deputy.oak",
                "Farah Khan",
                "Deputy manager",
                Some(("oak", DeputyManager)),
                &[],
            ),
            former,
            user(
                "manager.beech",
                "Paul Dixon",
                "Registered Manager",
                Some(("beech", Manager)),
                &[],
            ),
            user(
                "staff.beech",
                "Megan Lloyd",
                "Residential care worker",
                Some(("beech", Staff)),
                &[],
            ),
            user(
                "keycarer.beech",
                "Chris Adeyemi",
                "Senior residential care worker",
                Some(("beech", Staff)),
                &[],
            ),
            user(
                "manager.willow",
                "Rachel Green",
                "Registered Manager",
                Some(("willow", Manager)),
                &[],
            ),
            user(
                "keycarer.willow",
                "Daniel Price",
                "Senior residential care worker",
                Some(("willow", Staff)),
                &[],
            ),
            user(
                "sw",
                "Nadia Hussain",
                "Social worker",
                None,
                &[R::SocialWorker],
            ),
            user(
                "iro",
                "Martin Shaw",
                "Independent Reviewing Officer",
                None,
                &[R::Iro],
            ),
            user(
                "lcw",
                "Jo Kirby",
                "Personal adviser (leaving care)",
                None,
                &[],
            ),
            user(
                "reporting",
                "Alex Moore",
                "Performance analyst",
                None,
                &[R::Reporting],
            ),
            user(
                "dpo",
                "Catherine Bell",
                "Data protection officer",
                None,
                &[R::Dpo],
            ),
            user(
                "admin",
                "Ian Walsh",
                "KeyCare administrator",
                None,
                &[R::TenantAdmin],
            ),
        ],
        homes: vec![
            Home {
                key: "oak",
                name: "Oak House",
                urn: "SC100001",
                children: vec![
                    Child {
                        co_key: Some("cokey.oak"),
                        social_worker: Some("sw"),
                        iro: Some("iro"),
                        restricted_record: true,
                        ..child(
                            "amelia",
                            "Amelia Hart",
                            Some("Millie"),
                            14,
                            "female",
                            "keycarer.oak",
                            240,
                        )
                    },
                    Child {
                        former_key_carer: Some(("former.oak", KeyCarerChangeReason::StaffLeft)),
                        behind: true,
                        ..child(
                            "jayden",
                            "Jayden Brooks",
                            None,
                            15,
                            "male",
                            "keycarer.oak",
                            400,
                        )
                    },
                    Child {
                        ..child(
                            "priya",
                            "Priya Sharma",
                            None,
                            13,
                            "female",
                            "senior.oak",
                            90,
                        )
                    },
                    Child {
                        behind: true,
                        ..child("noah", "Noah Williams", None, 16, "male", "deputy.oak", 35)
                    },
                    Child {
                        left_days_ago: Some(60),
                        ..child(
                            "ellie",
                            "Ellie Turner",
                            None,
                            17,
                            "female",
                            "senior.oak",
                            500,
                        )
                    },
                ],
            },
            Home {
                key: "beech",
                name: "Beech Lodge",
                urn: "SC100002",
                children: vec![
                    Child {
                        social_worker: Some("sw"),
                        ..child(
                            "kai",
                            "Kai Robinson",
                            None,
                            12,
                            "male",
                            "keycarer.beech",
                            150,
                        )
                    },
                    Child {
                        behind: true,
                        ..child(
                            "sophie",
                            "Sophie Evans",
                            Some("Soph"),
                            15,
                            "female",
                            "keycarer.beech",
                            75,
                        )
                    },
                    Child {
                        ..child("leo", "Leo Nowak", None, 14, "male", "staff.beech", 300)
                    },
                    Child {
                        ..child(
                            "maya",
                            "Maya Campbell",
                            None,
                            16,
                            "female",
                            "staff.beech",
                            20,
                        )
                    },
                ],
            },
            Home {
                key: "willow",
                name: "Willow Court",
                urn: "SC100003",
                children: vec![
                    Child {
                        ..child(
                            "ethan",
                            "Ethan Clarke",
                            None,
                            13,
                            "male",
                            "keycarer.willow",
                            120,
                        )
                    },
                    Child {
                        behind: true,
                        ..child(
                            "zara",
                            "Zara Ahmed",
                            None,
                            15,
                            "female",
                            "keycarer.willow",
                            210,
                        )
                    },
                    Child {
                        ..child(
                            "oliver",
                            "Oliver Hughes",
                            Some("Ollie"),
                            11,
                            "male",
                            "keycarer.willow",
                            45,
                        )
                    },
                    Child {
                        ..child(
                            "grace",
                            "Grace Bennett",
                            None,
                            17,
                            "female",
                            "keycarer.willow",
                            365,
                        )
                    },
                ],
            },
        ],
    }
}

fn southdale() -> Council {
    use HomeRole::*;
    use TenantRoleKind as R;
    Council {
        slug: "southdale",
        name: "Southdale Borough Council",
        domain: "southdale.example",
        users: vec![
            user(
                "manager.harbour",
                "Ruth Ellis",
                "Registered Manager",
                Some(("harbour", Manager)),
                &[],
            ),
            user(
                "keycarer.harbour",
                "Ben Doyle",
                "Residential care worker",
                Some(("harbour", Staff)),
                &[],
            ),
            user(
                "sw",
                "Owen Price",
                "Social worker",
                None,
                &[R::SocialWorker],
            ),
            user(
                "dpo",
                "Laura Quinn",
                "Data protection officer",
                None,
                &[R::Dpo],
            ),
        ],
        homes: vec![Home {
            key: "harbour",
            name: "Harbour View",
            urn: "SC200001",
            children: vec![
                Child {
                    social_worker: Some("sw"),
                    ..child(
                        "ruby",
                        "Ruby Fletcher",
                        None,
                        14,
                        "female",
                        "keycarer.harbour",
                        180,
                    )
                },
                Child {
                    behind: true,
                    ..child(
                        "finn",
                        "Finn Walker",
                        None,
                        15,
                        "male",
                        "keycarer.harbour",
                        60,
                    )
                },
                Child {
                    ..child(
                        "isla",
                        "Isla Morgan",
                        None,
                        12,
                        "female",
                        "keycarer.harbour",
                        100,
                    )
                },
            ],
        }],
    }
}

struct Seeder<'a, C: ConnectionTrait> {
    db: &'a C,
    tenant_id: Uuid,
    slug: &'static str,
    today: NaiveDate,
    n: u32,
}

/// Inserts a child record, filling the columns every child record has; `author` and `at` are
/// the author and the time of writing. Columns left out are NULL.
macro_rules! record {
    ($s:expr, $m:ident, $child:expr, $author:expr, $at:expr, { $($f:ident : $v:expr),* $(,)? }) => {{
        let at: DateTime<Utc> = $at;
        let id = $s.next_id(stringify!($m));
        // Some kinds set every column here, others leave some NULL.
        #[allow(clippy::needless_update)]
        let model = e::$m::ActiveModel {
            id: Set(id),
            tenant_id: Set($s.tenant_id),
            child_id: Set($child),
            author_id: Set($author),
            restricted: Set(false),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            $($f: Set($v),)*
            ..Default::default()
        };
        model.insert($s.db).await?;
        id
    }};
}

fn at(d: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).unwrap_or_default())
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn months_back(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_sub_months(chrono::Months::new(n)).unwrap_or(d)
}

impl<C: ConnectionTrait> Seeder<'_, C> {
    fn next_id(&mut self, kind: &str) -> Uuid {
        self.n += 1;
        id(self.slug, kind, &self.n.to_string())
    }

    fn user_id(&self, local: &str) -> Uuid {
        id(self.slug, "user", local)
    }

    fn days_ago(&self, d: i64) -> NaiveDate {
        self.today - Duration::days(d)
    }

    async fn council(mut self, c: &Council) -> Result<(), DbErr> {
        let now = at(self.today, 8);
        let created = at(self.days_ago(900), 9);
        e::tenant::ActiveModel {
            id: Set(self.tenant_id),
            name: Set(c.name.to_owned()),
            slug: Set(c.slug.to_owned()),
            clothing_weekly_pence: Set(2_500),
            pathway_plan_due_months: Set(186),
            report_suppression_threshold: Set(5),
            created_at: Set(created),
        }
        .insert(self.db)
        .await?;
        e::identity_provider::ActiveModel {
            id: Set(id(c.slug, "idp", "dev")),
            tenant_id: Set(self.tenant_id),
            issuer: Set(DEV_ISSUER.to_owned()),
            audience: Set(DEV_AUDIENCE.to_owned()),
            jwks_url: Set("http://127.0.0.1:8080/dev-issuer/jwks.json".to_owned()),
            client_id: Set(None),
            is_development: Set(true),
            created_at: Set(created),
        }
        .insert(self.db)
        .await?;
        for h in &c.homes {
            e::home::ActiveModel {
                id: Set(id(c.slug, "home", h.key)),
                tenant_id: Set(self.tenant_id),
                name: Set(h.name.to_owned()),
                ofsted_urn: Set(h.urn.to_owned()),
                address: Set(format!(
                    "1 {} Road, {}",
                    h.name,
                    c.name.trim_end_matches(" Council")
                )),
                beds: Set(6),
                status: Set(HomeStatus::Open),
                version: Set(1),
                created_at: Set(created),
                updated_at: Set(created),
            }
            .insert(self.db)
            .await?;
        }
        for u in &c.users {
            let uid = self.user_id(u.local);
            let email = format!("{}@{}", u.local, c.domain);
            e::user::ActiveModel {
                id: Set(uid),
                tenant_id: Set(self.tenant_id),
                issuer: Set(DEV_ISSUER.to_owned()),
                subject: Set(email.clone()),
                name: Set(u.name.to_owned()),
                email: Set(email),
                job_title: Set(Some(u.title.to_owned())),
                active: Set(u.active),
                deactivated_at: Set((!u.active).then_some(at(self.days_ago(30), 17))),
                version: Set(1),
                created_at: Set(created),
                updated_at: Set(created),
            }
            .insert(self.db)
            .await?;
            if let Some((home, role)) = u.home {
                e::home_membership::ActiveModel {
                    id: Set(self.next_id("membership")),
                    tenant_id: Set(self.tenant_id),
                    user_id: Set(uid),
                    home_id: Set(id(c.slug, "home", home)),
                    role: Set(role),
                    start_date: Set(self.days_ago(800)),
                    end_date: Set((!u.active).then_some(self.days_ago(30))),
                    created_at: Set(created),
                }
                .insert(self.db)
                .await?;
            }
            for role in u.roles {
                e::tenant_role::ActiveModel {
                    id: Set(self.next_id("tenant_role")),
                    tenant_id: Set(self.tenant_id),
                    user_id: Set(uid),
                    role: Set(*role),
                    granted_at: Set(created),
                    revoked_at: Set(None),
                }
                .insert(self.db)
                .await?;
            }
        }
        let manager_of = |home: &str| {
            c.users
                .iter()
                .find(|u| u.home == Some((leak(home), HomeRole::Manager)))
                .map(|u| u.local)
                .unwrap_or("admin")
        };
        for h in &c.homes {
            let manager = self.user_id(manager_of(h.key));
            for ch in &h.children {
                self.child(c, h, ch, manager, now).await?;
            }
        }
        Ok(())
    }

    async fn child(
        &mut self,
        c: &Council,
        h: &Home,
        ch: &Child,
        manager: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let child_id = id(c.slug, "child", ch.key);
        let admitted = self.days_ago(ch.admitted_days_ago);
        let left = ch.left_days_ago.map(|d| self.days_ago(d));
        let dob = self.days_ago(ch.age_years * 365 + 100);
        let key_carer = self.user_id(ch.key_carer);
        let created = at(admitted - Duration::days(3), 10);
        e::child::ActiveModel {
            id: Set(child_id),
            tenant_id: Set(self.tenant_id),
            legal_name: Set(ch.legal_name.to_owned()),
            preferred_name: Set(ch.preferred.map(str::to_owned)),
            date_of_birth: Set(dob),
            gender: Set(ch.gender.to_owned()),
            ethnicity: Set(Some("White British".to_owned())
                .filter(|_| ch.key.len().is_multiple_of(2))
                .or(Some("Mixed heritage".to_owned()))),
            religion: Set(None),
            first_language: Set(Some("English".to_owned())),
            legal_status: Set(if ch.age_years >= 16 {
                LegalStatus::S20
            } else {
                LegalStatus::S31CareOrder
            }),
            looked_after_since: Set(admitted - Duration::days(30)),
            placing_authority: Set(c.name.to_owned()),
            placing_authority_ref: Set(Some(format!(
                "{}-{}",
                c.slug.to_uppercase(),
                1000 + self.n
            ))),
            nhs_number: Set(Some(format!(
                "{:03} {:03} {:04}",
                400 + ch.key.len(),
                100 + self.n % 900,
                1000 + self.n
            ))),
            date_of_death: Set(None),
            created_by: Set(manager),
            version: Set(1),
            created_at: Set(created),
            updated_at: Set(created),
        }
        .insert(self.db)
        .await?;
        let placement_id = id(c.slug, "placement", ch.key);
        e::placement::ActiveModel {
            id: Set(placement_id),
            tenant_id: Set(self.tenant_id),
            child_id: Set(child_id),
            home_id: Set(id(c.slug, "home", h.key)),
            admission_date: Set(admitted),
            planned_end_date: Set(None),
            end_date: Set(left),
            end_reason: Set(left.map(|_| "Moved to a foster placement".to_owned())),
            key_carer_pending_reason: Set(None),
            created_by: Set(manager),
            version: Set(1),
            created_at: Set(created),
            updated_at: Set(created),
        }
        .insert(self.db)
        .await?;
        e::pre_admission_visit::ActiveModel {
            id: Set(self.next_id("visit")),
            tenant_id: Set(self.tenant_id),
            child_id: Set(child_id),
            placement_id: Set(placement_id),
            visited_on: Set(admitted - Duration::days(5)),
            notes: Set(Some("You came for tea and chose your bedroom.".into())),
            author_id: Set(manager),
            created_at: Set(created),
        }
        .insert(self.db)
        .await?;
        // The key team, with a change of key carer where the demo shows one.
        let mut start = admitted;
        if let Some((former, reason)) = ch.former_key_carer {
            let changed = self.days_ago(ch.admitted_days_ago / 2);
            self.assignment(
                child_id,
                placement_id,
                self.user_id(former),
                KeyTeamRole::KeyCarer,
                admitted,
                Some((changed, reason)),
                manager,
            )
            .await?;
            start = changed;
        }
        let end = left.map(|d| (d, KeyCarerChangeReason::PlacementEnded));
        self.assignment(
            child_id,
            placement_id,
            key_carer,
            KeyTeamRole::KeyCarer,
            start,
            end,
            manager,
        )
        .await?;
        if let Some(co) = ch.co_key {
            self.assignment(
                child_id,
                placement_id,
                self.user_id(co),
                KeyTeamRole::CoKeyCarer,
                admitted,
                end,
                manager,
            )
            .await?;
        }
        for (who, kind) in [
            (ch.social_worker, AllocationKind::SocialWorker),
            (ch.iro, AllocationKind::Iro),
        ] {
            if let Some(who) = who {
                e::allocation::ActiveModel {
                    id: Set(self.next_id("allocation")),
                    tenant_id: Set(self.tenant_id),
                    user_id: Set(self.user_id(who)),
                    child_id: Set(child_id),
                    kind: Set(kind),
                    start_date: Set(admitted - Duration::days(30)),
                    end_date: Set(None),
                    created_at: Set(created),
                }
                .insert(self.db)
                .await?;
            }
        }
        let until = left.unwrap_or(self.today);
        self.records(c, ch, child_id, key_carer, manager, admitted, until, now)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn assignment(
        &mut self,
        child_id: Uuid,
        placement_id: Uuid,
        user_id: Uuid,
        role: KeyTeamRole,
        start: NaiveDate,
        end: Option<(NaiveDate, KeyCarerChangeReason)>,
        manager: Uuid,
    ) -> Result<(), DbErr> {
        e::key_team_assignment::ActiveModel {
            id: Set(self.next_id("assignment")),
            tenant_id: Set(self.tenant_id),
            child_id: Set(child_id),
            placement_id: Set(placement_id),
            user_id: Set(user_id),
            role: Set(role),
            start_date: Set(start),
            end_date: Set(end.map(|e| e.0)),
            end_reason: Set(end.map(|e| e.1)),
            end_note: Set(end
                .filter(|e| e.1 == KeyCarerChangeReason::StaffLeft)
                .map(|_| "Left the service; handover done with the child present.".to_owned())),
            appointed_by: Set(manager),
            ended_by: Set(end.map(|_| manager)),
            version: Set(1),
            created_at: Set(at(start, 9)),
        }
        .insert(self.db)
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn records(
        &mut self,
        c: &Council,
        ch: &Child,
        child: Uuid,
        kc: Uuid,
        manager: Uuid,
        admitted: NaiveDate,
        until: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let s = self;
        let behind = ch.behind;
        // Key sessions: weekly; a child whose records are behind has none for the last three weeks.
        let last_session = if behind {
            until - Duration::days(21)
        } else {
            until - Duration::days(2)
        };
        let mut day = admitted + Duration::days(2);
        let mut first = true;
        while day <= last_session {
            let settling = first.then(|| json!({
                "understandsWhyPlaced": true, "ipcpDone": true, "childrensGuideGiven": true,
                "firePrecautionsExplained": true, "toiletries": true, "clothing": true, "bedding": true, "towels": true
            }));
            record!(s, key_session, child, kc, at(day, 16), {
                planned_at: at(day, 16),
                venue: Some("The lounge".to_owned()),
                format: if first { SessionFormat::Formal } else { SessionFormat::Activity },
                purposes: json!(if first { vec!["progress", "future_planning"] } else { vec!["progress"] }),
                status: SessionStatus::Held,
                held_by_id: Some(kc),
                held_at: Some(at(day, 17)),
                notes: Some("We talked about your week and what went well.".to_owned()),
                child_views: Some("I like my room and want to see my nan more.".to_owned()),
                actions: Some("Ask the social worker about extra contact with Nan.".to_owned()),
                settling_in: settling,
            });
            first = false;
            day += Duration::days(7);
        }
        // One planned session in the coming days.
        record!(s, key_session, child, kc, now, {
            planned_at: at(s.today + Duration::days(3), 16),
            format: SessionFormat::Activity,
            purposes: json!(["progress"]),
            status: SessionStatus::Planned,
        });
        // Daily logs for the last week (three a day), one restricted where the demo shows it.
        for d in 0..7 {
            let date = until - Duration::days(d);
            if date < admitted {
                break;
            }
            for (hour, text) in [
                (8, "You got up on time and had breakfast with everyone."),
                (15, "You told me school was good today."),
                (21, "You settled well and went to bed at half nine."),
            ] {
                record!(s, daily_log, child, kc, at(date, hour), {
                    occurred_at: at(date, hour),
                    text: text.to_owned(),
                    categories: json!(["routine"]),
                });
            }
        }
        if ch.restricted_record {
            let at_time = at(until - Duration::days(4), 19);
            e::daily_log::ActiveModel {
                id: Set(s.next_id("daily_log")),
                tenant_id: Set(s.tenant_id),
                child_id: Set(child),
                author_id: Set(kc),
                restricted: Set(true),
                version: Set(1),
                created_at: Set(at_time),
                updated_at: Set(at_time),
                occurred_at: Set(at_time),
                text: Set("You told me something important about home. I have passed it to your social worker, as we agreed.".to_owned()),
                categories: Set(json!(["disclosure", "safeguarding"])),
            }
            .insert(s.db)
            .await?;
        }
        // Monthly summaries for each whole month placed; the last one missing when behind.
        let mut month = first_of_month(admitted);
        let last_month = months_back(first_of_month(until), if behind { 2 } else { 1 });
        while month <= last_month {
            if month > first_of_month(admitted) || admitted.day() == 1 {
                let signed = at(
                    month
                        .checked_add_months(chrono::Months::new(1))
                        .unwrap_or(month)
                        - Duration::days(2),
                    18,
                );
                record!(s, monthly_summary, child, kc, signed, {
                    month: month,
                    written_by_id: kc,
                    health: Some("You went to the dentist and had a check-up.".to_owned()),
                    education: Some("You went to school every day this month.".to_owned()),
                    family_and_friends: Some("You saw your mum twice and phoned your nan.".to_owned()),
                    behaviour: Some("You have been kind to the younger ones.".to_owned()),
                    achievements: Some("You got a certificate for your science project.".to_owned()),
                    ipcp_progress: Some("You are working on getting up on time.".to_owned()),
                    status: SummaryStatus::Acknowledged,
                    child_signed_at: Some(signed),
                    child_comment: Some("I agree with this.".to_owned()),
                    submitted_at: Some(signed),
                    acknowledged_at: Some(signed + Duration::days(1)),
                    acknowledged_by_id: Some(manager),
                });
            }
            month = month
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(until);
        }
        // IPCP: one published version, reviewed monthly (the last review 40 days ago when behind).
        let plan_at = at(admitted + Duration::days(3), 11);
        let plan = record!(s, care_plan, child, kc, plan_at, {
            version_number: 1,
            status: PlanStatus::Published,
            outcomes_and_needs: Some("To feel settled and safe, and to go to school every day.".to_owned()),
            health: Some("Registered with the local GP and dentist.".to_owned()),
            education: Some("Attends the local secondary school.".to_owned()),
            family_contact: Some("Fortnightly contact with mum, supervised.".to_owned()),
            identity_background: Some("Born and brought up in the county.".to_owned()),
            culture: Some("Enjoys music and football.".to_owned()),
            religion: Some("None stated.".to_owned()),
            diet: Some("No special diet; dislikes mushrooms.".to_owned()),
            language: Some("English.".to_owned()),
            leisure: Some("Football club on Saturdays.".to_owned()),
            independence_skills: Some("Learning to cook a simple meal.".to_owned()),
            behaviour_goal: Some("To talk to staff when feeling angry.".to_owned()),
            published_at: Some(plan_at),
            signed_child_at: Some(plan_at),
            signed_key_carer_at: Some(plan_at),
            signed_key_carer_id: Some(kc),
            signed_manager_at: Some(plan_at),
            signed_manager_id: Some(manager),
        });
        let last_review = if behind {
            until - Duration::days(40)
        } else {
            until - Duration::days(10)
        };
        let mut review = admitted + Duration::days(30);
        while review <= last_review {
            record!(s, care_plan_review, child, kc, at(review, 12), {
                care_plan_id: plan, reviewed_on: review, changes_made: false, notes: Some("Reviewed with you; nothing needs to change.".to_owned()),
            });
            review += Duration::days(30);
        }
        // Safe Care Plan with two risks and monthly reviews.
        let scp = record!(s, safe_care_plan, child, kc, plan_at, {
            missing_from_care_agreement: Some("Report to the police if not back and not in contact by 22:00.".to_owned()),
            shared_with_social_worker_at: Some(plan_at),
        });
        for (category, level, how) in [
            (
                RiskCategory::GoingMissing,
                RiskLevel::Medium,
                "Agreed return times; staff phone at 21:30.",
            ),
            (
                RiskCategory::InappropriateContacts,
                RiskLevel::Low,
                "Phone use reviewed together each week.",
            ),
        ] {
            record!(s, safe_care_risk, child, kc, plan_at, { safe_care_plan_id: scp, category: category, at_risk: json!(["self"]), level: level, management: how.to_owned() });
        }
        let mut review = admitted + Duration::days(30);
        while review <= last_review {
            record!(s, safe_care_review, child, kc, at(review, 13), { safe_care_plan_id: scp, reviewed_on: review, trigger: ReviewTrigger::Scheduled, notes: Some("No change to the risks.".to_owned()) });
            review += Duration::days(30);
        }
        // A missing episode for children whose records are behind: return interview not yet done.
        if behind {
            let gone = at(until - Duration::days(6), 20);
            let episode = record!(s, missing_episode, child, kc, gone, {
                went_missing_at: gone,
                reported_at: Some(gone + Duration::hours(2)),
                returned_at: Some(gone + Duration::hours(14)),
                police_reference: Some(format!("NP-{}", 24000 + s.n)),
                risk_level: RiskLevel::Medium,
                notes: Some("You came back in the morning and said you had been at a friend's house.".to_owned()),
            });
            let _ = episode;
        }
        // The first statutory review, with the report and booklets.
        let review_on = admitted + Duration::days(25);
        if review_on <= until {
            let r = record!(s, statutory_review, child, manager, at(admitted, 12), {
                scheduled_for: review_on,
                iro_id: ch.iro.map(|i| s.user_id(i)),
                sequence: ReviewSequence::First,
                held_on: Some(review_on),
                outcome: Some("The plan for you to stay at the home continues.".to_owned()),
                action_plan: Some("Social worker to arrange extra contact with Nan.".to_owned()),
            });
            let submitted = at(review_on - Duration::days(8), 12);
            record!(s, review_report, child, kc, submitted, { review_id: r, status: ReportStatus::Submitted, content: Some("You have settled well.".to_owned()), child_views: Some("I want to stay here.".to_owned()), submitted_at: Some(submitted) });
            for source in [BookletSource::Child, BookletSource::Home] {
                record!(s, consultation_booklet, child, kc, submitted, { review_id: r, source: source, content: "What is going well: school and football.".to_owned(), received_on: review_on - Duration::days(7) });
            }
        }
        // Health: registrations (the dentist missing when behind), an appointment, measurements.
        for kind in [
            HealthRegistrationKind::Gp,
            HealthRegistrationKind::Dentist,
            HealthRegistrationKind::Optician,
        ] {
            if behind && kind == HealthRegistrationKind::Dentist {
                continue;
            }
            let on = admitted + Duration::days(4);
            record!(s, health_registration, child, kc, at(on, 10), { kind: kind, provider_name: format!("{} Practice, {}", match kind { HealthRegistrationKind::Gp => "Market Street", HealthRegistrationKind::Dentist => "Smile", HealthRegistrationKind::Optician => "Clear View" }, c.name), registered_on: on });
        }
        record!(s, health_appointment, child, kc, at(until - Duration::days(12), 9), { kind: "Dentist check-up".to_owned(), scheduled_at: at(until - Duration::days(12), 10), attended: Some(true), outcome: Some("All fine; next check in six months.".to_owned()) });
        record!(s, health_measurement, child, kc, at(until - Duration::days(20), 9), { measured_on: until - Duration::days(20), height_cm: Some(150.0 + ch.age_years as f64), weight_kg: Some(40.0 + ch.age_years as f64) });
        record!(s, health_assessment, child, kc, at(admitted + Duration::days(20), 9), { assessed_on: admitted + Duration::days(20), summary: Some("Healthy; immunisations up to date.".to_owned()), action_plan: Some("Eye test this year.".to_owned()) });
        record!(s, medication_record, child, kc, at(until - Duration::days(1), 8), { given_at: at(until - Duration::days(1), 8), medication: "Cetirizine".to_owned(), dose: "10 mg".to_owned(), given_by_id: kc });
        // Education.
        record!(s, education_placement, child, kc, at(admitted, 9), { kind: if ch.age_years >= 16 { EducationKind::College } else { EducationKind::School }, provider_name: "Northgate Academy".to_owned(), transport: Some("School bus from the end of the road.".to_owned()), start_date: admitted });
        record!(s, school_liaison, child, kc, at(until - Duration::days(5), 15), { week_of: until - Duration::days(5), notes: "Teacher says you are working hard in maths.".to_owned() });
        record!(s, pep_meeting, child, kc, at(admitted + Duration::days(40), 14), { held_on: admitted + Duration::days(40), attended: true, minutes: Some("Targets set for English and maths.".to_owned()) });
        if behind {
            record!(s, exclusion, child, kc, at(until - Duration::days(30), 9), { start_date: until - Duration::days(30), days: 2, kind: ExclusionKind::Suspension, reason: Some("Argument with another pupil.".to_owned()) });
        }
        // Family and contact.
        let mum = record!(s, significant_person, child, kc, at(admitted, 9), { name: "Karen (mum)".to_owned(), relationship: "Mother".to_owned(), contact_details: Some("Via the social worker".to_owned()) });
        record!(s, contact_arrangement, child, kc, at(admitted, 9), { person_id: mum, frequency: "Fortnightly".to_owned(), method: "Face to face at the family centre".to_owned(), supervised: true });
        if behind {
            record!(s, contact_restriction, child, kc, at(until - Duration::days(14), 9), { person_id: Some(mum), description: "No unsupervised phone contact.".to_owned(), agreed_by: RestrictionAuthority::PlacingAuthority, agreed_on: until - Duration::days(14) });
        }
        record!(s, contact_visit, child, kc, at(until - Duration::days(9), 15), { person_id: Some(mum), visit_at: at(until - Duration::days(9), 15), notes: Some("You enjoyed seeing your mum.".to_owned()) });
        // File audits weekly for the last four weeks (missing the latest when behind).
        for w in (if behind { 2 } else { 0 })..4 {
            let week = until - Duration::days(7 * w + 1);
            record!(s, file_audit, child, kc, at(week, 16), { week_of: week, checklist: AuditItem::checklist(&[AuditDocument::CarePlan, AuditDocument::Ipcp, AuditDocument::Chronology, AuditDocument::HealthPlan, AuditDocument::SafeCarePlan, AuditDocument::MedicalConsent]), updates: Some("Chronology updated.".to_owned()), signed_at: Some(at(week, 16)), signed_by_id: Some(kc) });
        }
        // Clothing: four weeks of allowance and a purchase.
        for w in 0..4 {
            let d = until - Duration::days(7 * w);
            record!(s, clothing_entry, child, kc, at(d, 9), { entry_on: d, kind: ClothingEntryKind::Allowance, description: "Weekly allowance".to_owned(), amount_pence: 2_500 });
        }
        record!(s, clothing_entry, child, kc, at(until - Duration::days(3), 14), { entry_on: until - Duration::days(3), kind: ClothingEntryKind::Purchase, description: "School shoes".to_owned(), amount_pence: -3_499, ordered_via_id: Some(manager) });
        // Pathway plan from 15 and a half.
        if ch.age_years >= 15 {
            record!(s, pathway_plan, child, kc, at(admitted + Duration::days(10), 9), { due_on: Some(admitted + Duration::days(30)), leaving_care_worker_id: if c.slug == "northshire" { Some(s.user_id("lcw")) } else { None }, content: Some("Getting ready for college and learning to budget.".to_owned()) });
        }
        let week = until - Duration::days(until.weekday().num_days_from_monday() as i64);
        record!(s, weekly_plan, child, kc, at(week, 8), { week_of: week, getting_up: Some("7:15 on school days".to_owned()), school_transport: Some("Bus at 8:05".to_owned()), contact_times: Some("Wednesday 16:30 with mum".to_owned()), return_times: Some("21:00 on weekdays".to_owned()) });
        record!(s, chronology_entry, child, manager, at(admitted, 12), { occurred_on: admitted, title: "Admitted to the home".to_owned(), detail: Some("Planned move after pre-admission visits.".to_owned()) });
        Ok(())
    }
}

/// Home keys are static strings already; this only satisfies the comparison's lifetime.
fn leak(s: &str) -> &'static str {
    match s {
        "oak" => "oak",
        "beech" => "beech",
        "willow" => "willow",
        "harbour" => "harbour",
        _ => "",
    }
}
