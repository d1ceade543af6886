//! The TOML format of a rule file, as serde reads it.
//!
//! One format serves every `.toml` file of a rule folder; a file may hold rules, lexicons,
//! record types and sentence-splitting abbreviations, in any mix. Unknown keys are errors,
//! so a typo is reported with its line and column instead of being silently ignored.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// A whole `.toml` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Default language of the file's rules: `ru` or `kk`.
    pub lang: Option<Spanned<String>>,
    /// Rules (`[[rule]]`).
    #[serde(default)]
    pub rule: Vec<RuleDef>,
    /// Lexicons (`[lexicon.NAME]`): entry id → entry.
    #[serde(default)]
    pub lexicon: BTreeMap<String, BTreeMap<String, Spanned<EntryDef>>>,
    /// Record types (`[record.NAME]`).
    #[serde(default)]
    pub record: BTreeMap<String, Spanned<RecordDef>>,
    /// Words after which a full stop does not end a sentence (`тыс`, `г`).
    #[serde(default)]
    pub abbreviations: Vec<String>,
    /// Suffix rewrite tables (`[rewrite.NAME]`) for normalising names.
    #[serde(default)]
    pub rewrite: BTreeMap<String, Spanned<RewriteDef>>,
}

/// A suffix rewrite table: the longest matching suffix of each word is replaced.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewriteDef {
    /// `[suffix, replacement]` pairs, e.g. `["ского", "ское"]`; matched on lower case.
    pub suffixes: Vec<(String, String)>,
    /// Shortest stem a word must keep after the suffix is removed.
    #[serde(default = "default_min_stem")]
    pub min_stem: usize,
    /// Apply to the last word only (Kazakh case endings) instead of every word.
    #[serde(default)]
    pub last_word_only: bool,
}

fn default_min_stem() -> usize {
    3
}

/// A sentence-level link: a field filled from what else the sentence names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkDef {
    /// The field it fills.
    pub field: String,
    /// Lexicons whose entries are looked for anywhere in the sentence.
    pub scan: Option<OneOrMany>,
    /// With `scan`: forms are stems, any letters may follow (`казахстан` → `Казахстаном`).
    #[serde(default)]
    pub prefix: bool,
    /// With `scan`: the entry attribute to take (the id when absent or missing).
    pub attr: Option<String>,
    /// Records of this type in the same sentence.
    pub record: Option<String>,
    /// With `record`: the field to take from them (the whole record when absent).
    pub record_field: Option<String>,
    /// With `record`: it counts only when a form of this lexicon comes before it, at most
    /// `window` words earlier (`запасы … 1,3 млн тонн`).
    pub introduced_by: Option<OneOrMany>,
    /// With `introduced_by`: how many words may lie between.
    pub window: Option<usize>,
    /// Collect every distinct value as a list (otherwise the first).
    #[serde(default)]
    pub all: bool,
    /// The record exists only when at least this many distinct values are found.
    #[serde(default)]
    pub min: usize,
    /// Leave out values found inside the record's own span.
    #[serde(default)]
    pub outside_span: bool,
    /// With `all`: give one string, the distinct values joined by this separator.
    pub join: Option<String>,
    /// Look only inside the record's clause: the part of the sentence between the forms of
    /// these lexicons around it (`, а также`, `;`).
    pub within_clause: Option<OneOrMany>,
}

/// One rule: which grammar rule to run, which record it makes, and how.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Unique id, e.g. `amount.ru.money`; a later rule folder with the same id replaces it.
    pub id: Spanned<String>,
    /// The grammar rule tried at candidate positions.
    pub entry: Spanned<String>,
    /// The record type it emits.
    pub emits: Spanned<String>,
    /// Language of the sentences it runs on; the file's `lang` when absent.
    pub lang: Option<Spanned<String>>,
    /// Higher wins an overlap between matches of equal length.
    #[serde(default)]
    pub priority: i32,
    /// The capture whose span becomes the record's span (whole match when absent), so that
    /// context such as a qualifier word can be matched without being part of the record.
    pub span: Option<Spanned<String>>,
    /// A note for rule authors.
    pub description: Option<String>,
    /// Record fields: field name → how it is built from the match.
    #[serde(default)]
    pub fields: BTreeMap<String, Spanned<FieldSpec>>,
    /// Texts with the record they must give.
    #[serde(default)]
    pub example: Vec<ExampleDef>,
    /// Texts that must give no record of this rule's type.
    #[serde(default)]
    pub negative: Vec<Spanned<String>>,
    /// One record per occurrence of this capture (`месторождения Сандык и Зардалек` → two);
    /// its span is the occurrence, and captures are looked up inside it first.
    pub each: Option<Spanned<String>>,
    /// Fields filled from the rest of the sentence.
    #[serde(default)]
    pub link: Vec<Spanned<LinkDef>>,
}

/// How one field is built; exactly one of `value`, `lexicon`, `number`, `text`, `date`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// A constant.
    pub value: Option<toml::Value>,
    /// The entry of this lexicon (or of any of these) found in the match (or in `within`):
    /// its id, or `attr`.
    pub lexicon: Option<OneOrMany>,
    /// With `lexicon`: the entry attribute to take instead of the id.
    pub attr: Option<String>,
    /// With `lexicon` and `attr`: fall back to the entry id when it lacks `attr`.
    #[serde(default)]
    pub or_id: bool,
    /// The exact numeric value of this capture (digits, number words, scale words).
    pub number: Option<String>,
    /// With `number`: a capture whose scale words apply when this one has none
    /// (`7-8 млрд`: the low bound borrows `млрд`).
    pub inherit_scale: Option<String>,
    /// With `number`: multiply by a lexicon attribute (`cents` → dollars × 0.01).
    pub multiply: Option<Box<FieldSpec>>,
    /// The raw text of this capture.
    pub text: Option<String>,
    /// An ISO 8601 date from this capture's `year`, `month`, `day`, `hour`, `minute`.
    pub date: Option<String>,
    /// Restrict `lexicon` to inside this capture.
    pub within: Option<String>,
    /// With `text`: `capitalized` keeps the leading words that start with a capital letter
    /// (or are a number such as `II`, `1`, `№3`) in the raw text, and gives no value when the
    /// first word is not a capitalised word; `all_capitalized` gives no value unless every
    /// word is; `lowercase` makes no record when the first word IS capitalised (a bare
    /// trigger with no name after it).
    pub case: Option<String>,
    /// With `text`: a rewrite table name, or a lexicon attribute naming one.
    pub rewrite: Option<RewriteRef>,
    /// With `text`: no value when the result is a form of these lexicons (a stop list; an
    /// entry with `stem = true` excludes every name it starts, one with `suffix = true` every
    /// name whose first word ends with it).
    pub exclude: Option<OneOrMany>,
    /// The text of these specs joined by a space, instead of a single source.
    pub join: Option<Vec<FieldSpec>>,
    /// Value when the source is absent from the match.
    pub default: Option<toml::Value>,
}

/// A positive example of a rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleDef {
    /// The text to extract from.
    pub text: Spanned<String>,
    /// Fields the rule's record must have (`text` is the record's span text).
    pub expect: Option<Spanned<BTreeMap<String, toml::Value>>>,
}

/// One lexicon entry: its surface forms and any attributes.
#[derive(Debug, Clone, Deserialize)]
pub struct EntryDef {
    /// Surface forms, written as the text has them; normalised (lower-cased) at load.
    pub forms: Vec<String>,
    /// Anything else: attributes the field specs and the number evaluator read.
    #[serde(flatten)]
    pub attrs: BTreeMap<String, toml::Value>,
}

/// Which rewrite table a text field uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RewriteRef {
    /// A table by name.
    Table(String),
    /// The table named by an attribute of a lexicon entry in the match (e.g. the trigger's
    /// grammatical gender decides the adjective ending).
    FromLexicon {
        /// Lexicon(s).
        lexicon: OneOrMany,
        /// Attribute holding the table name.
        attr: String,
    },
}

/// A record type: its fields and their types.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordDef {
    /// Records of this type with equal values of these fields in one document are merged
    /// into the first (lists united, missing fields filled).
    #[serde(default)]
    pub merge_on: Vec<String>,
    /// Keep at most one record of this type per sentence (the best ranked).
    #[serde(default)]
    pub one_per_sentence: bool,
    /// `false` for helper records that other rules link to but that are not printed.
    #[serde(default = "yes")]
    pub output: bool,
    /// Records of another (earlier-built, usually hidden) type that fold into the nearest
    /// preceding record of this type: an anaphoric «на месторождении имеются запасы лития»
    /// adds lithium to the deposit named just before.
    pub absorb: Option<AbsorbDef>,
    /// Field name → type: `decimal`, `string`, `date`, `list`, or `enum:a,b,c`. The order
    /// of declaration is the order fields are printed in.
    pub fields: toml::Table,
}

/// See [`RecordDef::absorb`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbsorbDef {
    /// The record type absorbed.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many sentences back the record it folds into may be (0: the same sentence).
    #[serde(default)]
    pub within_sentences: usize,
}

/// One name or a list of names.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single name.
    One(String),
    /// Several names.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The names as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

fn yes() -> bool {
    true
}
