//! IAM and STS requests (the Query protocol) as events. The handlers answer with XML; the
//! edge reads the error code and message, or the result of a change, back out of it.

use super::Record;
use super::params::{form_parameters, form_value, is_secret_member, lower_camel};
use kmsd_audit::Resource;
use serde_json::{Map, Value};

/// `resources[].type` of an IAM role.
const ROLE_RESOURCE_TYPE: &str = "AWS::IAM::Role";

/// How a Query request was answered.
pub(crate) struct QueryOutcome<'a> {
    pub status: u16,
    pub body: &'a [u8],
}

/// CloudTrail's `readOnly` of an IAM or STS action.
fn read_only(sts: bool, action: &str) -> bool {
    sts || action.starts_with("Get") || action.starts_with("List")
}

/// The record of an IAM (`sts` false) or STS call, and its `(errorCode, errorMessage)` when it
/// failed. `form` is the request body if it was read; `outcome` the answer, if the request got
/// as far as a handler.
pub(crate) fn query_call(
    sts: bool,
    action: &str,
    form: Option<&[u8]>,
    outcome: Option<QueryOutcome<'_>>,
) -> (Record, Option<(String, String)>) {
    let read_only = read_only(sts, action);
    let request_parameters = form.map_or(Value::Null, form_parameters);
    let mut resources = Vec::new();
    if sts
        && action.starts_with("AssumeRole")
        && let Some(role_arn) = form.and_then(|f| form_value(f, "RoleArn"))
        && let Some(account) = iam_arn_account(&role_arn)
    {
        resources.push(Resource {
            account_id: account,
            resource_type: ROLE_RESOURCE_TYPE.to_owned(),
            arn: role_arn,
        });
    }
    let mut response_elements = Value::Null;
    let mut error = None;
    if let Some(outcome) = outcome {
        let text = String::from_utf8_lossy(outcome.body);
        if outcome.status == 200 {
            let records_response = if sts {
                action.starts_with("AssumeRole")
            } else {
                !read_only
            };
            if records_response {
                response_elements = result_elements(&text, action);
            }
        } else {
            error = Some((
                element_text(&text, "Code").unwrap_or_default(),
                element_text(&text, "Message").unwrap_or_default(),
            ));
        }
    }
    (
        Record {
            request_parameters,
            response_elements,
            resources,
            read_only,
        },
        error,
    )
}

/// The account of `arn:aws:iam::<account>:…`, if it is one.
fn iam_arn_account(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("iam"), Some(_), Some(account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then(|| account.to_owned())
}

/// The unescaped text of the first `<tag>…</tag>`.
fn element_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(unescape(&xml[start..end]))
}

/// `<ActionResult>` of a success answer as JSON: elements become members (lower camel case),
/// `member` lists become arrays, secret elements are skipped unread. `null` when empty.
fn result_elements(xml: &str, action: &str) -> Value {
    let open = format!("<{action}Result>");
    let close = format!("</{action}Result>");
    let Some(start) = xml.find(&open).map(|i| i + open.len()) else {
        return Value::Null;
    };
    let Some(end) = xml[start..].find(&close).map(|i| i + start) else {
        return Value::Null;
    };
    let mut parser = Parser {
        xml: &xml[start..end],
        pos: 0,
    };
    match parser.children() {
        Some(Node::Elements(children)) if !children.is_empty() => to_json(Node::Elements(children)),
        _ => Value::Null,
    }
}

enum Node {
    Text(String),
    Elements(Vec<(String, Node)>),
}

fn to_json(node: Node) -> Value {
    match node {
        Node::Text(text) => Value::String(text),
        Node::Elements(children) if children.iter().all(|(n, _)| n == "member") => {
            Value::Array(children.into_iter().map(|(_, n)| to_json(n)).collect())
        }
        Node::Elements(children) => {
            let mut map = Map::new();
            for (name, child) in children {
                map.insert(lower_camel(&name), to_json(child));
            }
            Value::Object(map)
        }
    }
}

/// A reader of the XML the Query handlers write: elements without attributes, escaped text.
struct Parser<'a> {
    xml: &'a str,
    pos: usize,
}

impl Parser<'_> {
    /// The content up to the next closing tag (or the end): text, or child elements.
    fn children(&mut self) -> Option<Node> {
        let mut elements = Vec::new();
        loop {
            let rest = &self.xml[self.pos..];
            let lt = match rest.find('<') {
                Some(lt) => lt,
                None => {
                    self.pos = self.xml.len();
                    return Some(if elements.is_empty() {
                        Node::Text(unescape(rest))
                    } else {
                        Node::Elements(elements)
                    });
                }
            };
            if rest[lt..].starts_with("</") {
                let node = if elements.is_empty() {
                    Node::Text(unescape(&rest[..lt]))
                } else {
                    Node::Elements(elements)
                };
                self.pos += lt;
                return Some(node);
            }
            let name_end = rest[lt..].find('>')? + lt;
            let name = rest[lt + 1..name_end].to_owned();
            if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '/') {
                return None;
            }
            let close = format!("</{name}>");
            self.pos += name_end + 1;
            if is_secret_member(&name) {
                // Skip the element without reading its content.
                let end = self.xml[self.pos..].find(&close)?;
                self.pos += end + close.len();
                continue;
            }
            let child = self.children()?;
            if !self.xml[self.pos..].starts_with(&close) {
                return None;
            }
            self.pos += close.len();
            elements.push((name, child));
        }
    }
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_access_key_records_everything_but_the_secret() {
        let xml = "<CreateAccessKeyResponse xmlns=\"x\"><CreateAccessKeyResult><AccessKey><UserName>alice</UserName><AccessKeyId>AKIAX</AccessKeyId><Status>Active</Status><SecretAccessKey>s3cr3t</SecretAccessKey><CreateDate>2026-01-01T00:00:00Z</CreateDate></AccessKey></CreateAccessKeyResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></CreateAccessKeyResponse>";
        let (record, error) = query_call(
            false,
            "CreateAccessKey",
            Some(b"Action=CreateAccessKey&UserName=alice"),
            Some(QueryOutcome {
                status: 200,
                body: xml.as_bytes(),
            }),
        );
        assert!(error.is_none());
        assert!(!record.read_only);
        assert_eq!(record.request_parameters, json!({"userName": "alice"}));
        assert_eq!(
            record.response_elements,
            json!({"accessKey": {"userName": "alice", "accessKeyId": "AKIAX", "status": "Active", "createDate": "2026-01-01T00:00:00Z"}})
        );
        assert!(!record.response_elements.to_string().contains("s3cr3t"));
    }

    #[test]
    fn assume_role_records_the_role_and_no_credentials_secret() {
        let xml = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>e</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:s1</AssumedRoleId><Arn>arn</Arn></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>";
        let (record, _) = query_call(
            true,
            "AssumeRole",
            Some(b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A098765432109%3Arole%2Fr&RoleSessionName=s1"),
            Some(QueryOutcome {
                status: 200,
                body: xml.as_bytes(),
            }),
        );
        assert_eq!(
            record.response_elements,
            json!({"credentials": {"accessKeyId": "ASIAX", "expiration": "e"}, "assumedRoleUser": {"assumedRoleId": "AROA:s1", "arn": "arn"}})
        );
        assert_eq!(record.resources.len(), 1);
        assert_eq!(record.resources[0].account_id, "098765432109");
        assert_eq!(record.resources[0].resource_type, "AWS::IAM::Role");
    }

    #[test]
    fn lists_become_arrays_and_errors_are_read_back() {
        let xml = "<X><CreateThingResult><Items><member><A>1</A></member><member><A>&lt;2&gt;</A></member></Items><Empty></Empty></CreateThingResult></X>";
        assert_eq!(
            result_elements(xml, "CreateThing"),
            json!({"items": [{"a": "1"}, {"a": "<2>"}], "empty": ""})
        );
        assert_eq!(result_elements("<X></X>", "CreateThing"), Value::Null);
        let error = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: a &amp; b</Message></Error></ErrorResponse>";
        let (record, error) = query_call(
            false,
            "CreateUser",
            None,
            Some(QueryOutcome {
                status: 403,
                body: error.as_bytes(),
            }),
        );
        assert_eq!(
            error,
            Some(("AccessDenied".to_owned(), "User: a & b".to_owned()))
        );
        assert_eq!(record.response_elements, Value::Null);
        assert!(query_call(false, "GetUser", None, None).0.read_only);
        assert!(
            query_call(true, "GetCallerIdentity", None, None)
                .0
                .read_only
        );
    }
}
