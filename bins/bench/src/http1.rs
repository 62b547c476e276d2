//! A lean HTTP/1.1 load client: requests are built as bytes before the run and written
//! as they are on keep-alive connections, one request in flight per connection, the way
//! `wrk` drives a server. A general client (header maps, URL parsing, a connection pool)
//! spends more CPU per request than the server's bare route does, and on a shared
//! machine every microsecond the load generator spends is taken from the server.

use std::{io, net::SocketAddr};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// One request, serialized: request line, headers, blank line, body.
pub(crate) fn request(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + body.len());
    out.extend_from_slice(format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n").as_bytes());
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if !body.is_empty() || method == "POST" {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A response's head, as far as the load client needs it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) status: u16,
    /// Bytes of the head, blank line included.
    pub(crate) len: usize,
    /// Bytes of the body that follows.
    pub(crate) content_length: usize,
    /// Whether the server closes the connection after this response.
    pub(crate) close: bool,
}

impl Head {
    /// Bytes of the whole response.
    pub(crate) fn total(&self) -> usize {
        self.len + self.content_length
    }
}

/// Why a response could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// More bytes are needed.
    Partial,
    /// Not an HTTP/1.1 response this client can follow (a body without
    /// `Content-Length`, say).
    Invalid(&'static str),
}

/// Parses a response head at the start of `buf`.
pub(crate) fn parse_head(buf: &[u8]) -> Result<Head, ParseError> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(ParseError::Partial);
    };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| ParseError::Invalid("not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(ParseError::Invalid("not an HTTP/1 status line"));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or(ParseError::Invalid("no status code"))?;
    let mut content_length = None;
    let mut close = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(ParseError::Invalid("header without a colon"));
        };
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| ParseError::Invalid("bad Content-Length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(ParseError::Invalid("chunked responses are not followed"));
        } else if name.eq_ignore_ascii_case("connection") {
            close = value
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("close"));
        }
    }
    // 1xx, 204 and 304 answers never have a body (RFC 9112, section 6.3).
    let bodiless = status < 200 || status == 204 || status == 304;
    let content_length = match content_length {
        _ if bodiless => 0,
        Some(length) => length,
        None => return Err(ParseError::Invalid("no Content-Length")),
    };
    let len = end + 4;
    if len.checked_add(content_length).is_none() {
        return Err(ParseError::Invalid("Content-Length too large"));
    }
    Ok(Head {
        status,
        len,
        content_length,
        close,
    })
}

/// A keep-alive connection with one request in flight at a time.
pub(crate) struct Connection {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Connection {
    pub(crate) fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            stream: None,
            buf: Vec::with_capacity(4096),
        }
    }

    /// Sends `request` and reads the whole response; returns its status. On any error
    /// the connection is dropped and the next call opens a new one.
    pub(crate) async fn send(&mut self, request: &[u8]) -> io::Result<u16> {
        let result = self.exchange(request).await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(&mut self, request: &[u8]) -> io::Result<u16> {
        let stream = match &mut self.stream {
            Some(stream) => stream,
            None => {
                let stream = TcpStream::connect(self.addr).await?;
                stream.set_nodelay(true)?;
                self.buf.clear();
                self.stream.insert(stream)
            }
        };
        stream.write_all(request).await?;
        loop {
            match parse_head(&self.buf) {
                Ok(head) if self.buf.len() >= head.total() => {
                    self.buf.drain(..head.total());
                    if head.close {
                        self.stream = None;
                    }
                    return Ok(head.status);
                }
                Ok(_) | Err(ParseError::Partial) => {}
                Err(ParseError::Invalid(why)) => {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, why));
                }
            }
            if stream.read_buf(&mut self.buf).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// A response cut anywhere before its end asks for more; whole, it parses to
        /// the same head wherever it came from.
        #[test]
        fn a_response_parses_the_same_however_it_arrives(
            status in 100u16..600,
            body in proptest::collection::vec(any::<u8>(), 0..64),
            extra in "[a-z-]{1,12}",
            value in "[ -~]{0,20}",
        ) {
            let mut raw = format!(
                "HTTP/1.1 {status} Whatever\r\nx-{extra}: {value}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            let head_len = raw.len();
            raw.extend_from_slice(&body);
            for cut in 0..head_len {
                prop_assert_eq!(parse_head(&raw[..cut]), Err(ParseError::Partial));
            }
            prop_assert_eq!(
                parse_head(&raw),
                Ok(Head {
                    status,
                    len: head_len,
                    content_length: if status < 200 || status == 204 || status == 304 { 0 } else { body.len() },
                    close: false,
                })
            );
        }

        /// Any bytes at all give an answer, never a panic.
        #[test]
        fn any_bytes_are_parsed_or_refused(raw in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_head(&raw);
        }
    }

    #[test]
    fn a_complete_head_gives_status_and_length() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(
            parse_head(raw),
            Ok(Head {
                status: 200,
                len: raw.len() - 5,
                content_length: 5,
                close: false,
            })
        );
    }

    #[test]
    fn a_cut_head_asks_for_more() {
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\ncontent-len"),
            Err(ParseError::Partial)
        );
    }

    #[test]
    fn bodiless_answers_need_no_length_and_close_is_noted() {
        let head = parse_head(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").unwrap();
        assert_eq!(
            (head.status, head.content_length, head.close),
            (204, 0, true)
        );
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 18446744073709551615\r\n\r\n"),
            Err(ParseError::Invalid(_))
        ));
    }

    #[test]
    fn chunked_or_unsized_responses_are_refused() {
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\n\r\n"),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            parse_head(b"SMTP 200 OK\r\ncontent-length: 0\r\n\r\n"),
            Err(ParseError::Invalid(_))
        ));
    }

    #[test]
    fn a_post_carries_its_length() {
        let r = request(
            "POST",
            "127.0.0.1:1",
            "/x",
            &[("X-Twilio-Signature", "abc=")],
            b"a=1",
        );
        assert_eq!(
            r,
            b"POST /x HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Twilio-Signature: abc=\r\nContent-Length: 3\r\n\r\na=1"
        );
    }

    #[tokio::test]
    async fn responses_are_read_whole_on_a_kept_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            for status in [200, 403] {
                let _ = socket.read(&mut buf).await.unwrap();
                // Head and body in separate writes, to make the reader wait for both.
                let head = format!("HTTP/1.1 {status} X\r\ncontent-length: 4\r\n\r\n");
                socket.write_all(head.as_bytes()).await.unwrap();
                socket.flush().await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                socket.write_all(b"body").await.unwrap();
            }
        });
        let mut connection = Connection::new(addr);
        let get = request("GET", "h", "/", &[], b"");
        assert_eq!(connection.send(&get).await.unwrap(), 200);
        assert_eq!(connection.send(&get).await.unwrap(), 403);
        assert!(connection.send(&get).await.is_err());
    }
}
