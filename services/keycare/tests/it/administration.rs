//! The tenant administrator manages the council's accounts, roles, home memberships and
//! allocations, and nothing else; every change to a relationship changes what a person
//! may see from their very next request ("lose access at once", ACCESS.md and PRODUCT.md).

use crate::demo_app::{DemoApp, code};
use keycare_seed::demo::id;
use serde_json::{Value, json};

const ADMIN: &str = "admin@northshire.example";

fn gid(kind: &str, key: &str, id_kind: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{kind}:{}", id("northshire", id_kind, key)))
}

fn user(local: &str) -> String {
    gid("User", local, "user")
}

fn child(key: &str) -> String {
    gid("Child", key, "child")
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

const CHILD_NAME: &str = "query($c: ID!) { child(id: $c) { legalName } }";
const ACCOUNT: &str = "query($id: ID!) { node(id: $id) { ... on UserAccount { id email active version roles { role revokedAt } memberships { id homeName role endDate } allocations { id childId kind endDate } } } }";

/// The account as the administrator sees it through `node`.
async fn account(app: &DemoApp, id: &str) -> Value {
    let (_, body) = app.gql(ADMIN, ACCOUNT, json!({"id": id})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["node"].clone()
}

/// Runs a mutation as the administrator; the payload, or a panic with the body.
async fn admin(app: &DemoApp, mutation: &str, input: Value) -> Value {
    let (_, body) = app.gql(ADMIN, mutation, json!({ "i": input })).await;
    assert!(body["errors"].is_null(), "{mutation}: {body}");
    body["data"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone()
}

fn field(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["field"].as_str()
}

#[tokio::test]
async fn only_the_tenant_administrator_manages_accounts_and_never_reads_a_child() {
    let app = DemoApp::spawn().await;
    let users = "{ users(first: 100) { edges { node { email active } } } }";
    let (_, body) = app.gql(ADMIN, users, json!({})).await;
    let emails: Vec<&str> = body["data"]["users"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["email"].as_str().unwrap())
        .collect();
    assert!(
        emails.contains(&"keycarer.oak@northshire.example"),
        "{body}"
    );
    assert!(
        emails.iter().all(|e| e.ends_with("@northshire.example")),
        "another council's accounts: {emails:?}"
    );
    let (_, body) = app
        .gql(
            ADMIN,
            "{ users(filter: { active: false, search: \"FORMER\" }) { edges { node { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["users"]["edges"][0]["node"]["email"], "former.oak@northshire.example",
        "{body}"
    );
    for who in [
        "manager.oak@northshire.example",
        "dpo@northshire.example",
        "keycarer.oak@northshire.example",
    ] {
        let (_, body) = app.gql(who, users, json!({})).await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{who}: {body}");
        let (_, body) = app.gql(who, ACCOUNT, json!({"id": user("sw")})).await;
        assert_eq!(code(&body), Some("NOT_FOUND"), "{who} node(User): {body}");
        let (_, body) = app
            .gql(
                who,
                "mutation($i: ChangeUserInput!) { deactivateUser(input: $i) { user { id } } }",
                json!({"i": {"id": user("sw"), "expectedVersion": 1}}),
            )
            .await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{who}: {body}");
    }
    // The administrator reads no child's record, not even one they allocate workers to.
    let (_, body) = app
        .gql(ADMIN, CHILD_NAME, json!({"c": child("amelia")}))
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    // Another council's administrator does not find Northshire's accounts.
    let (_, body) = app
        .gql(
            "manager.harbour@southdale.example",
            ACCOUNT,
            json!({"id": user("sw")}),
        )
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn ending_an_allocation_or_a_membership_or_deactivating_takes_access_away_at_once() {
    let app = DemoApp::spawn().await;
    let amelia = child("amelia");

    // The social worker's allocation to Amelia, ended today: gone from the next request.
    let (_, body) = app
        .gql("sw@northshire.example", CHILD_NAME, json!({"c": amelia}))
        .await;
    assert!(body["data"]["child"]["legalName"].is_string(), "{body}");
    let sw = account(&app, &user("sw")).await;
    let allocation = sw["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["childId"] == amelia && a["endDate"].is_null())
        .unwrap_or_else(|| panic!("Amelia's allocation: {sw}"))["id"]
        .clone();
    let ended = admin(
        &app,
        "mutation($i: EndRelationshipInput!) { endAllocation(input: $i) { allocation { endDate } } }",
        json!({"id": allocation}),
    )
    .await;
    assert_eq!(ended["allocation"]["endDate"], today());
    let (_, body) = app
        .gql("sw@northshire.example", CHILD_NAME, json!({"c": amelia}))
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    let (_, body) = app
        .gql(
            "sw@northshire.example",
            CHILD_NAME,
            json!({"c": child("kai")}),
        )
        .await;
    assert!(
        body["data"]["child"]["legalName"].is_string(),
        "Kai stays: {body}"
    );

    // Home staff whose Oak House membership ends today see none of its children.
    let staff = account(&app, &user("staff.oak")).await;
    let membership = staff["memberships"][0]["id"].clone();
    admin(
        &app,
        "mutation($i: EndRelationshipInput!) { endHomeMembership(input: $i) { membership { endDate } } }",
        json!({"id": membership}),
    )
    .await;
    let (_, body) = app
        .gql(
            "staff.oak@northshire.example",
            "{ children { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["children"]["edges"], json!([]), "{body}");

    // A deactivated key carer is refused outright; reactivated, they are back as they were.
    let key_carer = account(&app, &user("keycarer.oak")).await;
    let off = admin(
        &app,
        "mutation($i: ChangeUserInput!) { deactivateUser(input: $i) { user { active version } } }",
        json!({"id": user("keycarer.oak"), "expectedVersion": key_carer["version"]}),
    )
    .await;
    assert_eq!(off["user"]["active"], false);
    let (status, body) = app
        .gql(
            "keycarer.oak@northshire.example",
            CHILD_NAME,
            json!({"c": amelia}),
        )
        .await;
    assert_eq!((status, code(&body)), (403, Some("FORBIDDEN")), "{body}");
    // A stale version is a conflict, not a silent overwrite.
    let (_, body) = app
        .gql(
            ADMIN,
            "mutation($i: ChangeUserInput!) { reactivateUser(input: $i) { user { active } } }",
            json!({"i": {"id": user("keycarer.oak"), "expectedVersion": key_carer["version"]}}),
        )
        .await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");
    admin(
        &app,
        "mutation($i: ChangeUserInput!) { reactivateUser(input: $i) { user { active } } }",
        json!({"id": user("keycarer.oak"), "expectedVersion": off["user"]["version"]}),
    )
    .await;
    let (_, body) = app
        .gql(
            "keycarer.oak@northshire.example",
            CHILD_NAME,
            json!({"c": amelia}),
        )
        .await;
    assert!(body["data"]["child"]["legalName"].is_string(), "{body}");

    // Who gave and took away access to Amelia is in her access log, as the DPO sees it.
    let (_, body) = app
        .gql(
            "dpo@northshire.example",
            "query($c: ID!) { accessLog(childId: $c, kind: \"allocations\") { edges { node { action allowed basis } } } }",
            json!({"c": amelia}),
        )
        .await;
    let events = body["data"]["accessLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(
        events
            .iter()
            .any(|e| e["node"]["allowed"] == true && e["node"]["basis"] == "tenant_admin"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_new_account_signs_in_and_sees_exactly_what_its_role_and_allocation_give() {
    let app = DemoApp::spawn().await;
    let email = "new.sw@northshire.example";
    let created = admin(
        &app,
        "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id active issuer } } }",
        json!({"name": "Nia Lewis", "email": "New.SW@northshire.example", "jobTitle": "Social worker", "subject": email}),
    )
    .await;
    let new_id = created["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["user"]["active"], true);

    // Signed in, but with no role and no child yet.
    let (status, body) = app
        .gql(
            email,
            "{ me { email roles } children { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["email"], email);
    assert_eq!(body["data"]["children"]["edges"], json!([]));

    // An allocation as social worker needs the role first.
    let allocate = "mutation($i: AllocateToChildInput!) { allocateToChild(input: $i) { allocation { id kind } } }";
    let input = json!({"userId": new_id, "childId": child("jayden"), "kind": "SOCIAL_WORKER"});
    let (_, body) = app.gql(ADMIN, allocate, json!({"i": input})).await;
    assert_eq!(
        (code(&body), field(&body)),
        (Some("BAD_USER_INPUT"), Some("userId")),
        "{body}"
    );
    admin(
        &app,
        "mutation($i: TenantRoleInput!) { grantTenantRole(input: $i) { grant { role } } }",
        json!({"userId": new_id, "role": "SOCIAL_WORKER"}),
    )
    .await;
    admin(&app, allocate, input.clone()).await;
    let (_, body) = app.gql(ADMIN, allocate, json!({"i": input})).await;
    assert_eq!(
        (code(&body), field(&body)),
        (Some("BAD_USER_INPUT"), Some("childId")),
        "allocated twice: {body}"
    );
    let (_, body) = app
        .gql(email, "{ children { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["children"]["edges"],
        json!([{"node": {"id": child("jayden")}}]),
        "{body}"
    );
    // Jayden's plan is the social worker's to write (ACCESS.md: IPCP R W).
    let (_, body) = app
        .gql(
            email,
            "query($c: ID!) { child(id: $c) { viewerCan { kind read write } } }",
            json!({"c": child("jayden")}),
        )
        .await;
    let can = body["data"]["child"]["viewerCan"].as_array().unwrap();
    assert!(
        can.contains(&json!({"kind": "care_plan", "read": true, "write": true})),
        "{body}"
    );
    assert!(
        can.contains(&json!({"kind": "daily_log", "read": true, "write": false})),
        "{body}"
    );

    // Taking the role away ends her allocation of that kind today: she no longer sees Jayden,
    // from her next request on.
    let revoked = admin(
        &app,
        "mutation($i: TenantRoleInput!) { revokeTenantRole(input: $i) { grant { role revokedAt } } }",
        json!({"userId": new_id, "role": "SOCIAL_WORKER"}),
    )
    .await;
    assert!(revoked["grant"]["revokedAt"].is_string(), "{revoked}");
    let (_, body) = app
        .gql(email, CHILD_NAME, json!({"c": child("jayden")}))
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    let mine = account(&app, &new_id).await;
    assert_eq!(mine["allocations"][0]["endDate"], today(), "{mine}");
    app.stop().await;
}

#[tokio::test]
async fn bad_administration_input_is_refused_naming_the_field_and_nothing_is_saved() {
    let app = DemoApp::spawn().await;
    let create = "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }";
    for (input, expected) in [
        (
            json!({"name": "A", "email": "not an email", "subject": "a"}),
            "email",
        ),
        (
            json!({"name": "A", "email": "KEYCARER.oak@northshire.example", "subject": "x"}),
            "email",
        ),
        (
            json!({"name": "A", "email": "a.new@northshire.example", "subject": "keycarer.oak@northshire.example"}),
            "subject",
        ),
        (
            json!({"name": "  ", "email": "b.new@northshire.example", "subject": "b"}),
            "name",
        ),
        (
            json!({"name": "A", "email": "c.new@northshire.example", "subject": "c", "issuer": "https://elsewhere.example"}),
            "issuer",
        ),
    ] {
        let (_, body) = app.gql(ADMIN, create, json!({"i": input})).await;
        assert_eq!(
            (code(&body), field(&body)),
            (Some("BAD_USER_INPUT"), Some(expected)),
            "{input}: {body}"
        );
    }
    // The same email in another council: refused in the same words, naming nothing else.
    let (_, body) = app
        .gql(
            ADMIN,
            create,
            json!({"i": {"name": "A", "email": "manager.harbour@southdale.example", "subject": "h"}}),
        )
        .await;
    assert_eq!(field(&body), Some("email"), "{body}");
    assert!(
        !body
            .to_string()
            .to_lowercase()
            .contains("southdale council"),
        "{body}"
    );

    let (_, body) = app
        .gql(
            ADMIN,
            "mutation($i: ChangeUserInput!) { deactivateUser(input: $i) { user { id } } }",
            json!({"i": {"id": user("admin"), "expectedVersion": 1}}),
        )
        .await;
    assert_eq!(field(&body), Some("id"), "deactivating oneself: {body}");

    let sw = account(&app, &user("sw")).await;
    let allocation = sw["allocations"][0]["id"].clone();
    let (_, body) = app
        .gql(
            ADMIN,
            "mutation($i: EndRelationshipInput!) { endAllocation(input: $i) { allocation { id } } }",
            json!({"i": {"id": allocation, "endDate": "1990-01-01"}}),
        )
        .await;
    assert_eq!(field(&body), Some("endDate"), "{body}");
    // Another council's child is not found.
    let harbour_child = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("Child:{}", id("southdale", "child", "ruby")))
    };
    let (_, body) = app
        .gql(
            ADMIN,
            "mutation($i: AllocateToChildInput!) { allocateToChild(input: $i) { allocation { id } } }",
            json!({"i": {"userId": user("sw"), "childId": harbour_child, "kind": "SOCIAL_WORKER"}}),
        )
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    // Nothing of all that was saved.
    let (_, body) = app
        .gql(
            ADMIN,
            "{ users(filter: { search: \".new@\" }) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["users"]["edges"], json!([]), "{body}");
    assert!(account(&app, &user("sw")).await["allocations"][0]["endDate"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn the_administrator_adds_changes_and_closes_homes() {
    let app = DemoApp::spawn().await;
    let create =
        "mutation($i: CreateHomeInput!) { createHome(input: $i) { home { id name version } } }";
    let change =
        "mutation($i: ChangeHomeInput!) { changeHome(input: $i) { home { id name version } } }";
    let input = json!({"name": "Rowan House", "ofstedUrn": "sc100009", "address": "1 Rowan Way, Northshire", "beds": 4});
    let (_, body) = app
        .gql(
            "manager.oak@northshire.example",
            create,
            json!({"i": input}),
        )
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let rowan = admin(&app, create, input).await["home"].clone();
    assert_eq!(rowan["name"], "Rowan House");

    // An Ofsted URN names one home, in this council (SC100001 is Oak House) or another
    // (SC200001 is Southdale's Harbour View): refused in the same words.
    for urn in ["SC100001", "sc200001"] {
        let (_, body) = app
            .gql(
                ADMIN,
                create,
                json!({"i": {"name": "Copy", "ofstedUrn": urn, "address": "Somewhere", "beds": 2}}),
            )
            .await;
        assert_eq!(
            (code(&body), field(&body)),
            (Some("BAD_USER_INPUT"), Some("ofstedUrn")),
            "{urn}: {body}"
        );
        assert_eq!(
            body["errors"][0]["message"],
            "ofstedUrn: another home already has this Ofsted URN"
        );
    }
    for (bad, expected) in [
        (json!({"beds": 0}), "beds"),
        (json!({"name": " "}), "name"),
        (json!({"ofstedUrn": "not a urn!"}), "ofstedUrn"),
    ] {
        let mut i = bad.clone();
        i["id"] = rowan["id"].clone();
        i["expectedVersion"] = rowan["version"].clone();
        let (_, body) = app.gql(ADMIN, change, json!({"i": i})).await;
        assert_eq!(field(&body), Some(expected), "{bad}: {body}");
    }
    let renamed = admin(
        &app,
        change,
        json!({"id": rowan["id"], "expectedVersion": rowan["version"], "name": "Rowan Lodge"}),
    )
    .await["home"]
        .clone();
    assert_eq!(renamed["name"], "Rowan Lodge");

    // A home with children placed there stays open; an empty one closes.
    let (_, body) = app
        .gql(
            ADMIN,
            "query($h: ID!) { node(id: $h) { ... on Home { version } } }",
            json!({"h": gid("Home", "oak", "home")}),
        )
        .await;
    let oak_version = body["data"]["node"]["version"].clone();
    let (_, body) = app
        .gql(
            ADMIN,
            change,
            json!({"i": {"id": gid("Home", "oak", "home"), "expectedVersion": oak_version, "status": "CLOSED"}}),
        )
        .await;
    assert_eq!(field(&body), Some("status"), "{body}");
    admin(
        &app,
        change,
        json!({"id": rowan["id"], "expectedVersion": renamed["version"], "status": "CLOSED"}),
    )
    .await;
    let (_, body) = app
        .gql(
            ADMIN,
            "{ homes(first: 50) { edges { node { name status } } } }",
            json!({}),
        )
        .await;
    assert!(
        body["data"]["homes"]["edges"]
            .as_array()
            .unwrap()
            .contains(&json!({"node": {"name": "Rowan Lodge", "status": "CLOSED"}})),
        "{body}"
    );
    app.stop().await;
}

/// Separation of duties: an administrator changes nobody's access to children for
/// themselves, and an administrator's account holds none (ACCESS.md: tenant_admin has no
/// basis for any child).
#[tokio::test]
async fn an_administrator_gives_no_access_to_children_to_themselves_or_another_administrator() {
    let app = DemoApp::spawn().await;
    let me = user("admin");
    let attempts = [
        (
            "mutation($i: TenantRoleInput!) { grantTenantRole(input: $i) { grant { role } } }",
            json!({"userId": me, "role": "DPO"}),
        ),
        (
            "mutation($i: TenantRoleInput!) { revokeTenantRole(input: $i) { grant { role } } }",
            json!({"userId": me, "role": "TENANT_ADMIN"}),
        ),
        (
            "mutation($i: AddHomeMembershipInput!) { addHomeMembership(input: $i) { membership { id } } }",
            json!({"userId": me, "homeId": gid("Home", "oak", "home"), "role": "MANAGER"}),
        ),
        (
            "mutation($i: AllocateToChildInput!) { allocateToChild(input: $i) { allocation { id } } }",
            json!({"userId": me, "childId": child("amelia"), "kind": "LEAVING_CARE_WORKER"}),
        ),
    ];
    for (mutation, input) in attempts {
        let (_, body) = app.gql(ADMIN, mutation, json!({"i": input})).await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{mutation}: {body}");
    }
    // A second administrator gets no home; a social worker is not made an administrator.
    let second = admin(
        &app,
        "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }",
        json!({"name": "Second Admin", "email": "admin2@northshire.example", "subject": "admin2@northshire.example"}),
    )
    .await["user"]["id"]
        .clone();
    admin(
        &app,
        "mutation($i: TenantRoleInput!) { grantTenantRole(input: $i) { grant { role } } }",
        json!({"userId": second, "role": "TENANT_ADMIN"}),
    )
    .await;
    let (_, body) = app
        .gql(
            ADMIN,
            "mutation($i: AddHomeMembershipInput!) { addHomeMembership(input: $i) { membership { id } } }",
            json!({"i": {"userId": second, "homeId": gid("Home", "oak", "home"), "role": "STAFF"}}),
        )
        .await;
    assert_eq!(field(&body), Some("userId"), "{body}");
    let (_, body) = app
        .gql(
            ADMIN,
            "mutation($i: TenantRoleInput!) { grantTenantRole(input: $i) { grant { role } } }",
            json!({"i": {"userId": user("sw"), "role": "TENANT_ADMIN"}}),
        )
        .await;
    assert_eq!(field(&body), Some("role"), "{body}");
    // Nothing of that gave the administrator a child.
    let (_, body) = app
        .gql(ADMIN, CHILD_NAME, json!({"c": child("amelia")}))
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    app.stop().await;
}
