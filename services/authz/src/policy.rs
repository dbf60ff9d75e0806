//! The access policy: `policies/model.conf` and `policies/policy.csv`, validated against the
//! vocabulary and loaded into a Casbin `CachedEnforcer` shared behind an `Arc`. Every access
//! decision is asked of it; nothing else decides.

use crate::error::AuthzError;
use crate::vocabulary::{Action, Basis, Kind};
use casbin::{CachedEnforcer, CoreApi, DefaultModel, StringAdapter};
use std::sync::Arc;

/// The model shipped with KeyCare (`policies/model.conf`).
pub const MODEL: &str = include_str!("../../../policies/model.conf");
/// The policy shipped with KeyCare (`policies/policy.csv`).
pub const POLICY: &str = include_str!("../../../policies/policy.csv");

/// The loaded policy. Cheap to clone.
#[derive(Clone)]
pub struct Policy {
    enforcer: Arc<CachedEnforcer>,
    /// The enforcer's answer for every (basis, kind, action), asked once at load: a request
    /// never waits for the matcher (about 50 µs a decision, cached or not, in casbin 2.20).
    decisions: Arc<[bool]>,
}

fn index(basis: Basis, kind: Kind, action: Action) -> usize {
    (basis as usize * Kind::ALL.len() + kind as usize) * Action::ALL.len() + action as usize
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Policy")
    }
}

/// Checks every policy line against the vocabulary, naming the first bad line.
pub fn validate(policy: &str) -> Result<usize, AuthzError> {
    let mut rules = 0;
    for (i, raw) in policy.lines().enumerate() {
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let bad = |problem: String| AuthzError::PolicyLine {
            line: i + 1,
            text: text.to_owned(),
            problem,
        };
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        match fields.as_slice() {
            ["p", basis, kind, action] => {
                Basis::parse(basis).ok_or_else(|| bad(format!("unknown basis {basis:?}")))?;
                Kind::parse(kind).ok_or_else(|| bad(format!("unknown record kind {kind:?}")))?;
                Action::parse(action).ok_or_else(|| bad(format!("unknown action {action:?}")))?;
                rules += 1;
            }
            _ => return Err(bad("expected `p, basis, kind, action`".into())),
        }
    }
    Ok(rules)
}

impl Policy {
    /// Loads the policy shipped with KeyCare.
    pub async fn shipped() -> Result<Policy, AuthzError> {
        Policy::load(MODEL, POLICY).await
    }

    /// Loads a model and policy text after validating every line.
    pub async fn load(model: &str, policy: &str) -> Result<Policy, AuthzError> {
        validate(policy)?;
        let model = DefaultModel::from_str(model)
            .await
            .map_err(|e| AuthzError::Policy(format!("model: {e}")))?;
        let adapter = StringAdapter::new(policy.to_owned());
        let enforcer = CachedEnforcer::new(model, adapter)
            .await
            .map_err(|e| AuthzError::Policy(e.to_string()))?;
        let mut decisions = vec![false; Basis::ALL.len() * Kind::ALL.len() * Action::ALL.len()];
        for basis in Basis::ALL {
            for kind in Kind::ALL {
                for action in Action::ALL {
                    decisions[index(*basis, *kind, *action)] = enforcer
                        .enforce((basis.as_str(), kind.as_str(), action.as_str()))
                        .map_err(|e| {
                            AuthzError::Policy(format!("deciding {basis} {kind} {action}: {e}"))
                        })?;
                }
            }
        }
        Ok(Policy {
            enforcer: Arc::new(enforcer),
            decisions: decisions.into(),
        })
    }

    /// Whether the policy allows `basis` to do `action` to `kind` (the enforcer's answer,
    /// memoized at load).
    pub fn allows(&self, basis: Basis, kind: Kind, action: Action) -> bool {
        self.decisions[index(basis, kind, action)]
    }

    /// Asks the enforcer itself, bypassing the memo (to check the two agree).
    pub fn enforce(&self, basis: Basis, kind: Kind, action: Action) -> Result<bool, AuthzError> {
        self.enforcer
            .enforce((basis.as_str(), kind.as_str(), action.as_str()))
            .map_err(|e| AuthzError::Policy(e.to_string()))
    }

    /// The bases allowed to do `action` to `kind` (for turning a list into a SQL predicate).
    pub fn bases_allowing(&self, kind: Kind, action: Action) -> Vec<Basis> {
        Basis::ALL
            .iter()
            .copied()
            .filter(|b| self.allows(*b, kind, action))
            .collect()
    }
}
