//! What an operation costs, computed on the parsed document before anything runs.
//!
//! async-graphql checks depth and complexity while validating, after expanding every
//! fragment spread: a 1 KB document whose fragments each spread the previous one twice
//! expands 2^30 times. Here each fragment is costed once and remembered, with saturating
//! arithmetic, so any document is costed in time linear in its length. The cost weighs
//! what the work will be: a list's selection counts once per row it may return (`first` or
//! `last`, or the default page), and expensive fields carry weights of their own.

use async_graphql::Variables;
use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Selection, SelectionSet, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::parser::{Positioned, parse_query, parse_schema};
use async_graphql::{Name, Value};

use std::collections::HashMap;
use std::sync::OnceLock;

/// The limits an operation is held to (API.md: limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most an operation may cost.
    pub budget: u64,
    /// The deepest nesting of fields.
    pub max_depth: u64,
    /// Fields once every fragment is expanded (what validation and execution walk).
    pub max_fields: u64,
    /// Aliased fields once fragments are expanded.
    pub max_aliases: u64,
    /// Fields at the root of an operation.
    pub max_root_fields: u64,
    /// Directives written in the document.
    pub max_directives: u64,
    /// Lexical tokens in the document.
    pub max_tokens: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            budget: 100_000,
            max_depth: crate::schema::MAX_DEPTH as u64,
            max_fields: crate::schema::MAX_COMPLEXITY as u64,
            max_aliases: 50,
            max_root_fields: 20,
            max_directives: 50,
            max_tokens: 5_000,
        }
    }
}

/// Rows assumed of a connection asked for without `first` or `last` (API.md's default page).
pub const DEFAULT_PAGE: u64 = 50;
/// The largest page a connection returns (`first` is capped there).
pub const MAX_PAGE: u64 = 200;
/// Rows assumed of a plain list (identity providers, memberships, roles...).
pub const PLAIN_LIST_ROWS: u64 = 5;

/// Fields whose work is far above one row's: their weight is added to their cost.
/// The budget is about the rows an operation may touch; these are what each field costs
/// beyond its rows (a council report aggregates a year of every home's records).
const WEIGHTS: &[(&str, &str, u64)] = &[
    ("Query", "subjectAccessExport", 50_000),
    ("Query", "councilReport", 10_000),
    ("CouncilReport", "csv", 5_000),
    ("Query", "accessLog", 500),
    ("Query", "dueItems", 2_000),
    ("Child", "dueItems", 200),
];

/// How many subject access exports one request may hold.
pub const MAX_SUBJECT_ACCESS_EXPORTS: u64 = 1;

/// The cost of an accepted operation (reported in `extensions.cost`), and which operation
/// of the document runs (for metrics and logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cost {
    pub cost: u64,
    pub budget: u64,
    pub depth: u64,
    pub fields: u64,
    /// The name of the operation that runs, if it has one.
    pub operation: Option<String>,
    /// `query`, `mutation` or `subscription`.
    pub kind: &'static str,
}

impl Cost {
    /// The figures as `extensions.cost` shows them.
    pub fn to_value(&self) -> Value {
        let mut map = async_graphql::indexmap::IndexMap::new();
        map.insert(Name::new("requested"), Value::from(self.cost));
        map.insert(Name::new("budget"), Value::from(self.budget));
        map.insert(Name::new("depth"), Value::from(self.depth));
        map.insert(Name::new("fields"), Value::from(self.fields));
        Value::Object(map)
    }
}

/// Why a document is refused before it runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The document does not parse (BAD_USER_INPUT).
    #[error("{0}")]
    Syntax(String),
    /// A limit is passed (QUERY_TOO_COMPLEX): which, by how much.
    #[error("query too complex: {what} is {value}, more than the limit of {limit}")]
    TooComplex {
        what: &'static str,
        value: u64,
        limit: u64,
    },
    /// A fragment spreads itself (BAD_USER_INPUT).
    #[error("fragment {0} spreads itself")]
    FragmentCycle(String),
}

impl Refusal {
    /// The error as a GraphQL server error with its code and figures.
    pub fn to_server_error(&self) -> async_graphql::ServerError {
        let mut err = async_graphql::ServerError::new(self.to_string(), None);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        match self {
            Refusal::TooComplex { what, value, limit } => {
                ext.set("code", "QUERY_TOO_COMPLEX");
                ext.set("limit", *what);
                if *what == "cost" {
                    ext.set("cost", *value);
                    ext.set("budget", *limit);
                } else {
                    ext.set("value", *value);
                    ext.set("max", *limit);
                }
            }
            Refusal::Syntax(_) | Refusal::FragmentCycle(_) => ext.set("code", "BAD_USER_INPUT"),
        }
        err.extensions = Some(ext);
        err
    }
}

/// Types and fields of the schema, as far as costing needs them.
#[derive(Debug, Default)]
pub struct SchemaIndex {
    types: HashMap<String, HashMap<String, FieldType>>,
}

#[derive(Debug, Clone)]
struct FieldType {
    /// The named type under any list and non-null wrappers.
    named: String,
    list: bool,
}

impl SchemaIndex {
    /// The index of an SDL text.
    pub fn from_sdl(sdl: &str) -> Result<SchemaIndex, String> {
        let doc = parse_schema(sdl).map_err(|e| e.to_string())?;
        let mut types = HashMap::new();
        for def in doc.definitions {
            let TypeSystemDefinition::Type(ty) = def else {
                continue;
            };
            let fields = match ty.node.kind {
                TypeKind::Object(o) => o.fields,
                TypeKind::Interface(i) => i.fields,
                _ => continue,
            };
            let fields = fields
                .into_iter()
                .map(|f| {
                    let mut base = &f.node.ty.node.base;
                    let mut list = false;
                    while let BaseType::List(inner) = base {
                        list = true;
                        base = &inner.base;
                    }
                    let named = match base {
                        BaseType::Named(n) => n.to_string(),
                        BaseType::List(_) => String::new(),
                    };
                    (f.node.name.node.to_string(), FieldType { named, list })
                })
                .collect();
            types.insert(ty.node.name.node.to_string(), fields);
        }
        Ok(SchemaIndex { types })
    }

    /// The index of KeyCare's own schema, built once.
    pub fn keycare() -> &'static SchemaIndex {
        static INDEX: OnceLock<SchemaIndex> = OnceLock::new();
        INDEX.get_or_init(|| SchemaIndex::from_sdl(&crate::schema::sdl()).unwrap_or_default())
    }

    fn field(&self, ty: Option<&str>, name: &str) -> Option<&FieldType> {
        self.types.get(ty?)?.get(name)
    }
}

/// Counts the lexical tokens of a document (names, numbers, strings, punctuators), stopping
/// once past `limit`: cheap enough to run before parsing anything.
pub fn count_tokens(doc: &str, limit: u64) -> u64 {
    let bytes = doc.as_bytes();
    let mut i = 0;
    let mut n = 0u64;
    while i < bytes.len() && n <= limit {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 3;
                n += 1;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                n += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                i += 3;
                n += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'.' | b'-'))
                {
                    i += 1;
                }
                n += 1;
            }
            _ => {
                i += 1;
                n += 1;
            }
        }
    }
    n
}

/// What one selection set (or fragment) adds up to once expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    cost: u64,
    fields: u64,
    aliases: u64,
    depth: u64,
    exports: u64,
    /// Fields at this level, fragments expanded (at an operation's root: its root fields).
    top: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.cost = self.cost.saturating_add(other.cost);
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.depth = self.depth.max(other.depth);
        self.exports = self.exports.saturating_add(other.exports);
        self.top = self.top.saturating_add(other.top);
    }
}

struct Walk<'a> {
    index: &'a SchemaIndex,
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Variables' defaults of the operations (names are shared across a document's
    /// operations only by chance; the first default wins).
    defaults: HashMap<&'a str, &'a Value>,
    /// Fragments costed so far; `None` while one is being costed (a cycle if met again).
    fragments: HashMap<&'a str, Option<Tally>>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, ty: Option<&str>, set: &'a SelectionSet) -> Result<Tally, Refusal> {
        let mut total = Tally::default();
        for item in &set.items {
            let tally = match &item.node {
                Selection::Field(field) => self.field(ty, &field.node)?,
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())?
                }
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                        .or(ty);
                    self.selection_set(on, &inline.node.selection_set.node)?
                }
            };
            total.add(tally);
        }
        Ok(total)
    }

    fn field(
        &mut self,
        parent: Option<&str>,
        field: &'a async_graphql::parser::types::Field,
    ) -> Result<Tally, Refusal> {
        let name = field.name.node.as_str();
        let aliases = u64::from(field.alias.is_some());
        if name == "__typename" {
            return Ok(Tally {
                cost: 0,
                fields: 1,
                aliases,
                depth: 1,
                exports: 0,
                top: 1,
            });
        }
        let info = self.index.field(parent, name).cloned();
        let child_type = info.as_ref().map(|f| f.named.as_str());
        let below = self.selection_set(child_type, &field.selection_set.node)?;
        let paged = ["first", "last"]
            .iter()
            .filter_map(|arg| field.get_argument(arg))
            .filter_map(|v| v.node.clone().into_const_with(|n| self.variable(n)).ok())
            .filter_map(page_size)
            .max();
        let is_connection = child_type.is_some_and(|t| t.ends_with("Connection"));
        let parent_is_connection = parent.is_some_and(|t| t.ends_with("Connection"));
        let rows = match (paged, &info) {
            (Some(n), _) => n.clamp(1, MAX_PAGE),
            (None, _) if is_connection => DEFAULT_PAGE,
            (None, Some(f)) if f.list && !parent_is_connection => PLAIN_LIST_ROWS,
            _ => 1,
        };
        let weight = WEIGHTS
            .iter()
            .find(|(t, f, _)| Some(*t) == parent && *f == name)
            .map_or(0, |(_, _, w)| *w);
        let exports = u64::from(parent == Some("Query") && name == "subjectAccessExport");
        Ok(Tally {
            cost: 1u64
                .saturating_add(weight)
                .saturating_add(rows.saturating_mul(below.cost)),
            fields: below.fields.saturating_add(1),
            aliases: below.aliases.saturating_add(aliases),
            depth: below.depth.saturating_add(1),
            exports: below.exports.saturating_add(exports),
            top: 1,
        })
    }

    fn fragment(&mut self, name: &'a str) -> Result<Tally, Refusal> {
        match self.fragments.get(name) {
            Some(Some(tally)) => return Ok(*tally),
            Some(None) => return Err(Refusal::FragmentCycle(name.to_owned())),
            None => {}
        }
        // An unknown fragment costs nothing here; validation names it.
        let Some(def) = self.doc.fragments.get(name) else {
            return Ok(Tally::default());
        };
        self.fragments.insert(name, None);
        let on = def.node.type_condition.node.on.node.as_str();
        let tally = self.selection_set(Some(on), &def.node.selection_set.node)?;
        self.fragments.insert(name, Some(tally));
        Ok(tally)
    }

    /// The value of a variable: given with the request, or its default.
    fn variable(&self, var: Name) -> Result<Value, ()> {
        self.variables
            .get(&var)
            .or_else(|| self.defaults.get(var.as_str()).copied())
            .cloned()
            .ok_or(())
    }
}

/// A page size, from a constant argument.
fn page_size(value: Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| n.as_i64().map(|_| 1)),
        _ => None,
    }
}

fn count_directives(doc: &ExecutableDocument) -> u64 {
    fn in_set(set: &SelectionSet) -> u64 {
        set.items
            .iter()
            .map(|item| {
                let own = item.node.directives().len() as u64;
                own + match &item.node {
                    Selection::Field(f) => in_set(&f.node.selection_set.node),
                    Selection::InlineFragment(i) => in_set(&i.node.selection_set.node),
                    Selection::FragmentSpread(_) => 0,
                }
            })
            .sum()
    }
    let ops: u64 = doc
        .operations
        .iter()
        .map(|(_, op)| {
            op.node.directives.len() as u64
                + op.node
                    .variable_definitions
                    .iter()
                    .map(|v| v.node.directives.len() as u64)
                    .sum::<u64>()
                + in_set(&op.node.selection_set.node)
        })
        .sum();
    let fragments: u64 = doc
        .fragments
        .values()
        .map(|f| f.node.directives.len() as u64 + in_set(&f.node.selection_set.node))
        .sum();
    ops + fragments
}

fn check(what: &'static str, value: u64, limit: u64) -> Result<(), Refusal> {
    if value > limit {
        Err(Refusal::TooComplex { what, value, limit })
    } else {
        Ok(())
    }
}

/// Costs a document before it runs: every operation and fragment in it (validation walks
/// them all, whichever operation is then executed).
pub fn analyze(query: &str, variables: &Variables, limits: &Limits) -> Result<Cost, Refusal> {
    analyze_with(SchemaIndex::keycare(), query, None, variables, limits)
}

/// [`analyze`], naming the operation that will run (`operationName` of the request).
pub fn analyze_operation(
    query: &str,
    operation_name: Option<&str>,
    variables: &Variables,
    limits: &Limits,
) -> Result<Cost, Refusal> {
    analyze_with(
        SchemaIndex::keycare(),
        query,
        operation_name,
        variables,
        limits,
    )
}

/// [`analyze`] against a given schema index.
pub fn analyze_with(
    index: &SchemaIndex,
    query: &str,
    operation_name: Option<&str>,
    variables: &Variables,
    limits: &Limits,
) -> Result<Cost, Refusal> {
    check(
        "tokens",
        count_tokens(query, limits.max_tokens),
        limits.max_tokens,
    )?;
    let doc = parse_query(query).map_err(|e| Refusal::Syntax(e.to_string()))?;
    check("directives", count_directives(&doc), limits.max_directives)?;
    let mut defaults = HashMap::new();
    for (_, op) in doc.operations.iter() {
        for var in &op.node.variable_definitions {
            if let Some(Positioned { node, .. }) = &var.node.default_value {
                defaults.entry(var.node.name.node.as_str()).or_insert(node);
            }
        }
    }
    let mut walk = Walk {
        index,
        doc: &doc,
        variables,
        defaults,
        fragments: HashMap::new(),
    };
    let mut total = Tally::default();
    let operations: Vec<_> = match &doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values().collect(),
    };
    for op in operations {
        let root = match op.node.ty {
            async_graphql::parser::types::OperationType::Query => "Query",
            async_graphql::parser::types::OperationType::Mutation => "Mutation",
            async_graphql::parser::types::OperationType::Subscription => "Subscription",
        };
        let tally = walk.selection_set(Some(root), &op.node.selection_set.node)?;
        check("root fields", tally.top, limits.max_root_fields)?;
        total.add(tally);
    }
    // Fragments no operation spreads are still validated.
    let names: Vec<&str> = doc.fragments.keys().map(|n| n.as_str()).collect();
    for name in names {
        if !walk.fragments.contains_key(name) {
            total.add(walk.fragment(name)?);
        }
    }
    check("depth", total.depth, limits.max_depth)?;
    check("fields", total.fields, limits.max_fields)?;
    check("aliases", total.aliases, limits.max_aliases)?;
    check(
        "subject access exports",
        total.exports,
        MAX_SUBJECT_ACCESS_EXPORTS,
    )?;
    check("cost", total.cost, limits.budget)?;
    use async_graphql::parser::types::OperationType;
    let chosen = match &doc.operations {
        DocumentOperations::Single(op) => Some((None, op)),
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(wanted) => ops
                .iter()
                .find(|(n, _)| n.as_str() == wanted)
                .map(|(n, op)| (Some(n.to_string()), op)),
            None => ops.iter().next().map(|(n, op)| (Some(n.to_string()), op)),
        },
    };
    let (operation, kind) = match chosen {
        Some((name, op)) => (
            name,
            match op.node.ty {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            },
        ),
        None => (None, "query"),
    };
    Ok(Cost {
        cost: total.cost,
        budget: limits.budget,
        depth: total.depth,
        fields: total.fields,
        operation,
        kind,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cost(query: &str) -> Result<Cost, Refusal> {
        analyze(query, &Variables::default(), &Limits::default())
    }

    fn fan_out(levels: u32) -> String {
        let mut doc = String::from("query { me { ...F0 } }\nfragment F0 on Me { name }\n");
        for i in 1..=levels {
            doc.push_str(&format!(
                "fragment F{i} on Me {{ ...F{p} ...F{p} }}\n",
                p = i - 1
            ));
        }
        doc.replacen("...F0 }", &format!("...F{levels} }}"), 1)
    }

    #[test]
    fn fragment_fan_out_is_refused_without_expanding_it() {
        for levels in [20, 30, 40, 63, 64, 80] {
            let started = std::time::Instant::now();
            let refusal = cost(&fan_out(levels)).expect_err("a fan-out must be refused");
            assert!(
                matches!(refusal, Refusal::TooComplex { .. }),
                "{levels}: {refusal}"
            );
            assert!(started.elapsed() < std::time::Duration::from_secs(1));
        }
    }

    #[test]
    fn pages_multiply_the_cost_of_their_rows() {
        let small = cost("{ children(first: 2) { edges { node { legalName } } } }").unwrap();
        let large = cost("{ children(first: 100) { edges { node { legalName } } } }").unwrap();
        assert!(large.cost > small.cost * 40, "{small:?} {large:?}");
    }

    #[test]
    fn aliased_lists_of_the_largest_page_are_refused() {
        let one = "children(first: 200) { edges { node { id legalName dailyLogs(first: 200) { edges { node { text } } } } } }";
        let doc = format!("{{ a: {one} }}");
        assert!(matches!(
            cost(&doc),
            Err(Refusal::TooComplex { what: "cost", .. })
        ));
    }

    #[test]
    fn one_subject_access_export_per_request() {
        let ok = r#"{ subjectAccessExport(childId: "x") }"#;
        assert!(cost(ok).is_ok());
        let two =
            r#"{ a: subjectAccessExport(childId: "x") b: subjectAccessExport(childId: "y") }"#;
        assert!(matches!(
            cost(two),
            Err(Refusal::TooComplex {
                what: "subject access exports",
                ..
            })
        ));
    }

    #[test]
    fn page_sizes_come_from_variables_too() {
        let doc = "query($n: Int) { children(first: $n) { edges { node { legalName } } } }";
        let vars = |n: u64| Variables::from_json(serde_json::json!({ "n": n }));
        let small = analyze(doc, &vars(1), &Limits::default()).unwrap();
        let large = analyze(doc, &vars(150), &Limits::default()).unwrap();
        assert!(large.cost > small.cost * 100);
    }

    #[test]
    fn a_fragment_cycle_is_refused() {
        let doc = "{ me { ...A } } fragment A on Me { ...B } fragment B on Me { ...A }";
        assert!(matches!(cost(doc), Err(Refusal::FragmentCycle(_))));
    }

    #[test]
    fn tokens_are_counted_before_parsing() {
        assert_eq!(count_tokens("{ me { name } }", 100), 6);
        assert_eq!(
            count_tokens("query Q($a: Int = 3) { x(s: \"a b\") }", 100),
            18
        );
        let long = format!("{{ {} }}", "__typename ".repeat(6_000));
        assert!(matches!(
            cost(&long),
            Err(Refusal::TooComplex { what: "tokens", .. })
        ));
    }

    #[test]
    fn every_example_operation_is_within_the_limits() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/operations");
        let mut seen = 0;
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "graphql") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let cost = cost(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    println!("{}: {:?}", path.display(), cost);
                    seen += 1;
                }
            }
        }
        assert!(seen >= 10);
    }
}
