//! The words of the policy: bases, record kinds and actions. `policies/policy.csv` may use
//! only these; anything else stops start-up.

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The word used in the policy file.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// The value named by a policy word.
            pub fn parse(word: &str) -> Option<$name> {
                match word { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// A relationship that gives a user access (ACCESS.md, "bases").
    Basis {
        /// Key carer or co-key carer of the child (assignment and placement open).
        KeyTeam = "key_team",
        /// Staff or deputy manager of the home of the child's open placement.
        HomeStaff = "home_staff",
        /// Manager of that home (read-only for a closed placement in the home).
        Manager = "manager",
        /// Open social-worker allocation to the child.
        SocialWorker = "social_worker",
        /// Open IRO allocation to the child.
        Iro = "iro",
        /// Tenant role: data protection officer.
        Dpo = "dpo",
        /// Tenant role: council reporting.
        Reporting = "reporting",
        /// Tenant role: tenant administrator.
        TenantAdmin = "tenant_admin",
    }
}

vocabulary! {
    /// A kind of record (or of tenant-level information) the policy speaks of.
    Kind {
        ChildProfile = "child_profile",
        KeyTeam = "key_team",
        KeySession = "key_session",
        MonthlySummary = "monthly_summary",
        DailyLog = "daily_log",
        CarePlan = "care_plan",
        SafeCarePlan = "safe_care_plan",
        StatutoryReview = "statutory_review",
        ReviewReport = "review_report",
        ConsultationBooklet = "consultation_booklet",
        ReviewOutcome = "review_outcome",
        HealthPlan = "health_plan",
        HealthRecord = "health_record",
        Education = "education",
        Family = "family",
        MissingEpisode = "missing_episode",
        FileAudit = "file_audit",
        Clothing = "clothing",
        PathwayPlan = "pathway_plan",
        WeeklyPlan = "weekly_plan",
        Chronology = "chronology",
        /// Records marked restricted (for example a disclosure), whatever their kind: only
        /// a basis that may `read` this sees them at all (ACCESS.md).
        Restricted = "restricted",
        ChildAccessLog = "child_access_log",
        KeyCarerAppointment = "key_carer_appointment",
        /// The manager's acknowledgement of a monthly summary.
        SummaryAcknowledgement = "summary_acknowledgement",
        /// Admitting a child to a home (before the child has any record).
        Admission = "admission",
        /// Recording the child's signature of a plan, on the child's behalf.
        SignatureForChild = "signature_for_child",
        /// Signing a plan as the child's key carer.
        SignatureAsKeyCarer = "signature_as_key_carer",
        /// Signing a plan as the child's social worker.
        SignatureAsSocialWorker = "signature_as_social_worker",
        /// Signing a plan as the manager of the home.
        SignatureAsManager = "signature_as_manager",
        AccessLog = "access_log",
        SubjectAccess = "subject_access",
        CouncilReport = "council_report",
        Users = "users",
        Homes = "homes",
        Allocations = "allocations",
        IdentityProviders = "identity_providers",
    }
}

vocabulary! {
    /// What is done to a record.
    Action {
        Read = "read",
        /// Create and change.
        Write = "write",
        /// Change only what the user wrote.
        WriteOwn = "write_own",
        /// Read only once submitted (the IRO and the review report).
        ReadSubmitted = "read_submitted",
        Export = "export",
    }
}

impl Basis {
    /// Bases that come from a tenant role rather than a relationship with a child.
    pub fn is_tenant_role(self) -> bool {
        matches!(self, Basis::Dpo | Basis::Reporting | Basis::TenantAdmin)
    }
}
