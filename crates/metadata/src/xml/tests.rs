use super::*;

#[test]
fn parses_text_children_and_lines() {
    let doc = "<?xml version=\"1.0\"?>\n<A xmlns=\"urn:x\">\n    <b>one &amp; two</b>\n    <c>\n        <d>x</d>\n    </c>\n</A>\n";
    let root = parse(doc).unwrap();
    assert_eq!(root.name, "A");
    assert_eq!(root.attribute("xmlns"), Some("urn:x"));
    assert_eq!(root.child_text("b"), Some("one & two"));
    assert_eq!(root.child("b").unwrap().line, 3);
    assert_eq!(root.child("c").unwrap().child("d").unwrap().line, 5);
}

#[test]
fn render_round_trips_canonical_documents() {
    let doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<A xmlns=\"urn:x\">\n    <b>&lt;tag&gt; &quot;q&quot; &apos;a&apos; &amp;</b>\n    <c>\n        <d>x</d>\n    </c>\n</A>\n";
    assert_eq!(render(&parse(doc).unwrap()), doc);
}

#[test]
fn refuses_broken_documents_with_a_line() {
    let cases = [
        ("<A>\n<b></c>\n</A>", 2),
        ("<A>\n<b>", 2),
        ("", 1),
        ("<A/><B/>", 1),
        ("<A>\n<b>text<c/></b></A>", 2),
        ("<!DOCTYPE x [<!ENTITY e \"boom\">]><A>&e;</A>", 1),
        ("<A>&nope;</A>", 1),
    ];
    for (doc, line) in cases {
        let error = parse(doc).expect_err(doc);
        assert_eq!(error.line, line, "{doc}: {error}");
    }
}

#[test]
fn refuses_deep_nesting() {
    let doc = "<a>".repeat(100) + &"</a>".repeat(100);
    assert!(parse(&doc).unwrap_err().message.contains("deeper"));
}
