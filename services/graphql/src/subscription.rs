//! The root subscription.

use async_graphql::{Context, Result, Subscription as GqlSubscription};
use futures::Stream;
use keycare_domain::identity::Identity;
use std::time::Duration;

/// The root subscription.
pub struct Subscription;

/// How often `sessionExpiresIn` reports.
const EXPIRY_TICK: Duration = Duration::from_secs(30);

/// The root subscription.
#[GqlSubscription]
impl Subscription {
    /// Seconds until the signed-in credential expires: sent at once, then every 30 seconds,
    /// so a UI can renew it in time. The socket closes (code 4401) when it expires.
    async fn session_expires_in(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = i64>> {
        let expires_at = ctx.data::<Identity>()?.expires_at;
        Ok(async_stream::stream! {
            loop {
                let left = (expires_at - chrono::Utc::now()).num_seconds().max(0);
                yield left;
                if left == 0 {
                    break;
                }
                tokio::time::sleep(EXPIRY_TICK.min(Duration::from_secs(left as u64))).await;
            }
        })
    }
}
