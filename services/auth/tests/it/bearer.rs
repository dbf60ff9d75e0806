use keycare_auth::{AuthError, bearer_token};

#[test]
fn bearer_header_table() {
    let malformed = |s: &str| Err(AuthError::Malformed(s.to_owned()));
    let cases: &[(Option<&str>, Result<&str, AuthError>)] = &[
        (Some("Bearer abc.def.ghi"), Ok("abc.def.ghi")),
        (Some("bearer abc"), Ok("abc")),
        (Some("BEARER abc"), Ok("abc")),
        (Some("  Bearer   abc  "), Ok("abc")),
        (Some("Bearer abc=="), Ok("abc==")),
        (None, Err(AuthError::MissingHeader)),
        (Some(""), Err(AuthError::MissingHeader)),
        (Some("   "), Err(AuthError::MissingHeader)),
        (Some("Basic dXNlcjpwYXNz"), Err(AuthError::WrongScheme)),
        (Some("Bearerabc"), Err(AuthError::WrongScheme)),
        (Some("Token abc"), Err(AuthError::WrongScheme)),
        (Some("Bearer"), malformed("the Bearer token is empty")),
        (Some("Bearer    "), malformed("the Bearer token is empty")),
        (
            Some("Bearer abc def"),
            malformed("expected exactly one token after Bearer"),
        ),
        (
            Some("Bearer a,b"),
            malformed("the Bearer token contains invalid characters"),
        ),
        (
            Some("Bearer ==="),
            malformed("the Bearer token contains invalid characters"),
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(&bearer_token(*header), expected, "header {header:?}");
    }
}

#[test]
fn error_codes() {
    assert_eq!(AuthError::MissingHeader.code(), "UNAUTHENTICATED");
    assert_eq!(AuthError::UnknownAccount.code(), "UNAUTHENTICATED");
    assert_eq!(AuthError::Deactivated.code(), "FORBIDDEN");
    assert_eq!(
        AuthError::WrongScheme.to_string(),
        "Authorization header must use the Bearer scheme"
    );
}
