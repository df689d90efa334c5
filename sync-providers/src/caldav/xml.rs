//! The WebDAV XML the CalDAV adapter speaks: the `calendar-query` REPORT body for VTODOs and
//! the `multistatus` answer (RFC 4791 7.8, RFC 4918 13).

/// REPORT body: every VTODO in the collection, with its ETag and data.
pub(crate) const VTODO_QUERY: &str = r#"<?xml version="1.0" encoding="utf-8" ?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter>
  </C:filter>
</C:calendar-query>"#;

const DAV: &str = "DAV:";
const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";

/// One resource of a multistatus answer whose properties came back with 200.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resource {
    pub(crate) href: String,
    pub(crate) etag: Option<String>,
    pub(crate) data: String,
}

fn is(node: &roxmltree::Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

/// The resources of a `multistatus` body that carry calendar data. Only the shape RFC 4918
/// gives is read (`multistatus/response/propstat/prop/*`): elements nested anywhere else are
/// not resources, so a body can never yield more text than it holds.
pub(crate) fn multistatus(body: &str) -> Result<Vec<Resource>, String> {
    let doc = roxmltree::Document::parse(body).map_err(|e| format!("bad multistatus XML: {e}"))?;
    let root = doc.root_element();
    if !is(&root, DAV, "multistatus") {
        return Err(format!(
            "bad multistatus XML: the root element is `{}`, not DAV `multistatus`",
            root.tag_name().name()
        ));
    }
    let mut out = Vec::new();
    for response in root.children().filter(|n| is(n, DAV, "response")) {
        let Some(href) = response
            .children()
            .find(|n| is(n, DAV, "href"))
            .and_then(|n| n.text())
        else {
            continue;
        };
        let ok = |propstat: &roxmltree::Node<'_, '_>| {
            propstat
                .children()
                .find(|n| is(n, DAV, "status"))
                .and_then(|n| n.text())
                .is_some_and(|s| s.contains(" 200 "))
        };
        let props = response
            .children()
            .filter(|n| is(n, DAV, "propstat") && ok(n))
            .flat_map(|n| n.children().filter(|p| is(p, DAV, "prop")))
            .flat_map(|prop| prop.children());
        let (mut etag, mut data) = (None, None);
        for prop in props {
            if is(&prop, DAV, "getetag") {
                etag = prop.text().map(|t| t.trim().to_owned());
            } else if is(&prop, CALDAV, "calendar-data") {
                data = prop.text().map(str::to_owned);
            }
        }
        if let Some(data) = data {
            out.push(Resource {
                href: href.trim().to_owned(),
                etag,
                data,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_responses_with_data() {
        let body = r#"<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <response><href>/u/cal/a.ics</href>
  <propstat><prop><getetag>"e1"</getetag><C:calendar-data>BEGIN:VCALENDAR
END:VCALENDAR
</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/u/cal/b.ics</href>
  <propstat><prop><getetag/></prop><status>HTTP/1.1 404 Not Found</status></propstat></response>
</multistatus>"#;
        let found = multistatus(body).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].href, "/u/cal/a.ics");
        assert_eq!(found[0].etag.as_deref(), Some("\"e1\""));
        assert!(found[0].data.starts_with("BEGIN:VCALENDAR"));
        assert!(multistatus("<nope").is_err());
    }

    #[test]
    fn a_body_that_is_not_a_multistatus_is_refused() {
        // Read as "no resources", it would be a complete listing of nothing.
        let err = multistatus(r#"<error xmlns="DAV:"><response/></error>"#).unwrap_err();
        assert!(err.contains("`error`"), "{err}");
    }

    #[test]
    fn nested_responses_do_not_repeat_their_data() {
        // Found by the `caldav_xml` fuzz target: every enclosing response used to pick up the
        // calendar data of the ones inside it, so output grew with depth times size.
        let level = |i: usize| {
            format!(
                "<response><href>/r{i}.ics</href><propstat><status>HTTP/1.1 200 OK</status><prop>"
            )
        };
        let data = format!(
            "<C:calendar-data>BEGIN:VTODO\nUID:x\nSUMMARY:{}\nEND:VTODO\n</C:calendar-data>",
            "s".repeat(400)
        );
        let body = format!(
            r#"<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">{}{data}{}</multistatus>"#,
            (0..12).map(level).collect::<String>(),
            "</prop></propstat></response>".repeat(12)
        );
        let found = multistatus(&body).unwrap();
        let text: usize = found.iter().map(|r| r.href.len() + r.data.len()).sum();
        assert!(
            text <= body.len(),
            "{text} bytes from a {}-byte body",
            body.len()
        );
        assert!(
            found.is_empty(),
            "data not directly in a response's prop: {found:?}"
        );
    }
}
