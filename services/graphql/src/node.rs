//! `node(id:)`: any record by its global id. A record the viewer may not see answers
//! NOT_FOUND, exactly as one that does not exist.

use crate::care::{
    CarePlanReview, CarePlanVersion, Child, DailyLog, Home, KeySession, MonthlySummary,
    SafeCareReview, SafeCareRisk,
};
use crate::error::gql;
use crate::request::request;
use async_graphql::{Context, ID, Interface, Object, Result};
use keycare_domain::DomainError;
use keycare_domain::care_record::{self as cr, tables};

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
pub enum Node {
    Child(Child),
    Home(Home),
    KeySession(KeySession),
    MonthlySummary(MonthlySummary),
    DailyLog(DailyLog),
    CarePlanVersion(CarePlanVersion),
    CarePlanReview(CarePlanReview),
    SafeCareRisk(SafeCareRisk),
    SafeCareReview(SafeCareReview),
}

/// The `node` query.
#[derive(Default)]
pub struct NodeQuery;

/// The `node` query.
#[Object]
impl NodeQuery {
    /// Any record by its global id (NOT_FOUND if it does not exist or the viewer may not
    /// see it).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let req = request(ctx)?;
        let Some((kind, uuid)) = crate::ids::parse_global_id(&id) else {
            return Err(gql(DomainError::NotFound));
        };
        let node = match kind.as_str() {
            "Child" => Node::Child(Child(cr::child(req, uuid).await.map_err(gql)?)),
            "Home" => Node::Home(Home(cr::home(req, uuid).await.map_err(gql)?)),
            "KeySession" => Node::KeySession(KeySession(
                cr::record(req, uuid, &tables::key_sessions(), |m| {
                    (m.child_id, m.restricted)
                })
                .await
                .map_err(gql)?,
            )),
            "MonthlySummary" => Node::MonthlySummary(MonthlySummary(
                cr::record(req, uuid, &tables::monthly_summaries(), |m| {
                    (m.child_id, m.restricted)
                })
                .await
                .map_err(gql)?,
            )),
            "DailyLog" => Node::DailyLog(DailyLog(
                cr::record(req, uuid, &tables::daily_logs(), |m| {
                    (m.child_id, m.restricted)
                })
                .await
                .map_err(gql)?,
            )),
            "CarePlanVersion" => Node::CarePlanVersion(CarePlanVersion(
                cr::record(req, uuid, &tables::care_plans(), |m| {
                    (m.child_id, m.restricted)
                })
                .await
                .map_err(gql)?,
            )),
            "CarePlanReview" => Node::CarePlanReview(CarePlanReview(
                cr::record(req, uuid, &tables::care_plan_reviews(), |m| {
                    (m.child_id, m.restricted)
                })
                .await
                .map_err(gql)?,
            )),
            "SafeCareRisk" => Node::SafeCareRisk(SafeCareRisk(
                cr::record(req, uuid, &tables::safe_care_risks(), |m| {
                    (m.child_id, m.restricted)
                })
                .await
                .map_err(gql)?,
            )),
            "SafeCareReview" => Node::SafeCareReview(SafeCareReview(
                cr::record(req, uuid, &tables::safe_care_reviews(), |m| {
                    (m.child_id, m.restricted)
                })
                .await
                .map_err(gql)?,
            )),
            _ => return Err(gql(DomainError::NotFound)),
        };
        Ok(Some(node))
    }
}
