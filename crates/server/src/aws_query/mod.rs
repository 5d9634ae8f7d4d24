//! The AWS Query protocol (form-encoded in, XML out) for IAM and STS.

mod form;
mod iam;
mod sts;
mod xml;

use bytes::Bytes;
use form::Params;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use kmsd_service::RequestContext;
use xml::escape;

/// Which Query service a request is for (told by its signature's scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryService {
    Iam,
    Sts,
}

impl QueryService {
    fn namespace(self) -> &'static str {
        match self {
            QueryService::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            QueryService::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }
}

/// A Query failure as it goes on the wire.
pub(crate) struct QueryError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl QueryError {
    fn validation(message: impl Into<String>) -> QueryError {
        QueryError {
            status: 400,
            code: "ValidationError",
            message: message.into(),
        }
    }

    fn missing(name: &str) -> QueryError {
        QueryError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_camel(name)
        ))
    }
}

impl From<kmsd_service::identity::IamError> for QueryError {
    fn from(e: kmsd_service::identity::IamError) -> QueryError {
        if e.status() >= 500 {
            tracing::error!(error = ?e, "IAM request failed");
        }
        QueryError {
            status: e.status(),
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<kmsd_service::sts::StsError> for QueryError {
    fn from(e: kmsd_service::sts::StsError) -> QueryError {
        use kmsd_service::sts::StsError;
        let status = match &e {
            StsError::AccessDenied(_) | StsError::ExpiredToken(_) | StsError::InvalidToken => 403,
            StsError::Internal(_) => {
                tracing::error!(error = ?e, "STS request failed");
                500
            }
            _ => 400,
        };
        QueryError {
            status,
            code: e.code(),
            message: e.to_string(),
        }
    }
}

fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// An authenticated Query request. `body` is the raw form body.
pub(crate) async fn handle(
    iam: &kmsd_service::identity::Iam,
    sts: &kmsd_service::sts::Sts,
    ctx: &RequestContext,
    service: QueryService,
    body: &[u8],
) -> Response<Full<Bytes>> {
    let request_id = ctx.request_id.as_str();
    let Some(params) = Params::parse(body) else {
        return error_response(
            service,
            400,
            "MalformedQueryString",
            "The request body is not a valid form.",
            request_id,
        );
    };
    let Some(action) = params.get("Action").map(str::to_owned) else {
        return error_response(service, 400, "MissingAction", "Missing Action", request_id);
    };
    let result = match service {
        QueryService::Iam => iam::dispatch(iam, ctx, &action, &params).await,
        QueryService::Sts => sts::dispatch(sts, ctx, &action, &params).await,
    };
    match result {
        Ok(result_xml) => {
            let body = format!(
                "<{action}Response xmlns=\"{}\">{}<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
                service.namespace(),
                match result_xml {
                    Some(inner) => format!("<{action}Result>{inner}</{action}Result>"),
                    None => String::new(),
                },
                escape(request_id)
            );
            xml_response(StatusCode::OK, body, request_id)
        }
        Err(e) => error_response(service, e.status, e.code, &e.message, request_id),
    }
}

/// An error rendered as Query XML.
pub(crate) fn error_response(
    service: QueryService,
    status: u16,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    let body = format!(
        "<ErrorResponse xmlns=\"{}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        service.namespace(),
        escape(code),
        escape(message),
        escape(request_id)
    );
    xml_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        body,
        request_id,
    )
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    response
}
