//! A parser for the SOQL subset the tools send:
//! `SELECT field, Rel.Field FROM Object [WHERE a = 'x' [AND b = true]] [LIMIT n]`,
//! keywords in any case, single-quoted strings with backslash escapes.

/// A parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Selected fields as written (`Id`, `Parent.Name`).
    pub fields: Vec<String>,
    /// The object as written.
    pub object: String,
    /// `field = literal` conditions joined by AND.
    pub conditions: Vec<(String, Literal)>,
    /// LIMIT, if given.
    pub limit: Option<usize>,
}

/// A literal on the right of `=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// `'text'`.
    Text(String),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A number, kept as written.
    Number(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Comma,
    Equals,
    Other(char),
}

/// Parses a query; the error is the message of a `MALFORMED_QUERY`.
pub fn parse(text: &str) -> Result<Query, String> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, position: 0 };
    parser.keyword("SELECT")?;
    let mut fields = vec![parser.identifier()?];
    while parser.peek() == Some(&Token::Comma) {
        parser.position += 1;
        fields.push(parser.identifier()?);
    }
    parser.keyword("FROM")?;
    let object = parser.identifier()?;
    let mut conditions = Vec::new();
    if parser.peek_keyword("WHERE") {
        parser.position += 1;
        loop {
            let field = parser.identifier()?;
            parser.expect(&Token::Equals, "=")?;
            conditions.push((field, parser.literal()?));
            if !parser.peek_keyword("AND") {
                break;
            }
            parser.position += 1;
        }
    }
    let mut limit = None;
    if parser.peek_keyword("LIMIT") {
        parser.position += 1;
        limit = Some(parser.number()?);
    }
    if let Some(token) = parser.peek() {
        return Err(unexpected(token));
    }
    Ok(Query { fields, object, conditions, limit })
}

fn unexpected(token: &Token) -> String {
    let shown = match token {
        Token::Word(word) => word.clone(),
        Token::Text(text) => format!("'{text}'"),
        Token::Comma => ",".into(),
        Token::Equals => "=".into(),
        Token::Other(character) => character.to_string(),
    };
    format!("unexpected token: '{shown}'")
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(word)) if word.eq_ignore_ascii_case(keyword))
    }

    fn next(&mut self, wanted: &str) -> Result<Token, String> {
        let token = self
            .tokens
            .get(self.position)
            .cloned()
            .ok_or_else(|| format!("unexpected end of query, expecting {wanted}"))?;
        self.position += 1;
        Ok(token)
    }

    fn keyword(&mut self, keyword: &str) -> Result<(), String> {
        match self.next(keyword)? {
            Token::Word(word) if word.eq_ignore_ascii_case(keyword) => Ok(()),
            other => Err(format!("{}, expecting {keyword}", unexpected(&other))),
        }
    }

    fn expect(&mut self, wanted: &Token, shown: &str) -> Result<(), String> {
        let token = self.next(shown)?;
        if &token == wanted { Ok(()) } else { Err(format!("{}, expecting '{shown}'", unexpected(&token))) }
    }

    fn identifier(&mut self) -> Result<String, String> {
        match self.next("a name")? {
            Token::Word(word)
                if !is_reserved(&word)
                    && word
                        .split('.')
                        .all(|part| part.chars().next().is_some_and(|first| first.is_ascii_alphabetic())) =>
            {
                Ok(word)
            }
            other => Err(unexpected(&other)),
        }
    }

    fn literal(&mut self) -> Result<Literal, String> {
        match self.next("a value")? {
            Token::Text(text) => Ok(Literal::Text(text)),
            Token::Word(word) if word.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Token::Word(word) if word.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
            Token::Word(word) if word.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            Token::Word(word) if word.chars().all(|c| c.is_ascii_digit() || c == '.') => {
                Ok(Literal::Number(word))
            }
            other => Err(unexpected(&other)),
        }
    }

    fn number(&mut self) -> Result<usize, String> {
        match self.next("a number")? {
            Token::Word(word) => word.parse().map_err(|_| unexpected(&Token::Word(word))),
            other => Err(unexpected(&other)),
        }
    }
}

fn is_reserved(word: &str) -> bool {
    ["SELECT", "FROM", "WHERE", "AND", "OR", "LIMIT", "ORDER", "GROUP"]
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(word))
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut characters = text.chars().peekable();
    while let Some(&character) = characters.peek() {
        if character.is_whitespace() {
            characters.next();
        } else if character.is_ascii_alphanumeric() || character == '_' {
            let mut word = String::new();
            while let Some(&next) = characters.peek() {
                if next.is_ascii_alphanumeric() || next == '_' || next == '.' {
                    word.push(next);
                    characters.next();
                } else {
                    break;
                }
            }
            tokens.push(Token::Word(word));
        } else if character == '\'' {
            characters.next();
            let mut value = String::new();
            loop {
                match characters.next() {
                    None => return Err("unterminated string literal".into()),
                    Some('\'') => break,
                    Some('\\') => match characters.next() {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some('r') => value.push('\r'),
                        Some(escaped @ ('\'' | '"' | '\\' | '%' | '_')) => value.push(escaped),
                        _ => return Err("invalid escape sequence in string literal".into()),
                    },
                    Some(other) => value.push(other),
                }
            }
            tokens.push(Token::Text(value));
        } else {
            characters.next();
            tokens.push(match character {
                ',' => Token::Comma,
                '=' => Token::Equals,
                other => Token::Other(other),
            });
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_queries_tools_send() {
        let query = parse("SELECT Id FROM User WHERE Username='admin@emulator.local'").unwrap();
        assert_eq!(query.fields, vec!["Id"]);
        assert_eq!(query.object, "User");
        assert_eq!(query.conditions, vec![("Username".into(), Literal::Text("admin@emulator.local".into()))]);
        let query = parse(
            "select Id, ParentId, Parent.Name from SetupEntityAccess where SetupEntityType = 'ConnectedApplication' and SetupEntityId = '0H4x' limit 5",
        )
        .unwrap();
        assert_eq!(query.fields, vec!["Id", "ParentId", "Parent.Name"]);
        assert_eq!(query.conditions.len(), 2);
        assert_eq!(query.limit, Some(5));
        assert_eq!(parse("SELECT Id FROM ScratchOrgInfo limit 1").unwrap().limit, Some(1));
    }

    #[test]
    fn escapes_and_literals() {
        let query = parse(r"SELECT Id FROM User WHERE LastName = 'O\'Brien' AND IsActive = TRUE").unwrap();
        assert_eq!(query.conditions[0].1, Literal::Text("O'Brien".into()));
        assert_eq!(query.conditions[1].1, Literal::Bool(true));
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        assert!(parse("SELECT FROM User").is_err());
        assert!(parse("SELECT Id FROM User WHERE Name LIKE 'a%'").is_err());
        assert!(parse("SELECT Id FROM User WHERE Name = 'a").is_err());
        assert!(parse("SELECT Id FROM User ORDER BY Name").is_err());
        assert!(parse("SELECT Id,(SELECT Id FROM X) FROM User").is_err());
        assert!(parse("DELETE FROM User").is_err());
        assert!(parse("SELECT Id FROM User LIMIT x").is_err());
    }
}
