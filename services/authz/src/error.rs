//! The one error type of the authorization crate.

/// What can go wrong loading the policy or deciding.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    /// A line of `policy.csv` that does not fit the vocabulary.
    #[error("policies/policy.csv line {line}: {problem} (in {text:?})")]
    PolicyLine {
        line: usize,
        text: String,
        problem: String,
    },
    /// The model or policy could not be loaded.
    #[error("the access policy could not be loaded: {0}")]
    Policy(String),
    /// The database could not be asked.
    #[error("database error")]
    Db(#[from] sea_orm::DbErr),
}
