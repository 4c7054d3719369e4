//! The server starts, answers a real client and raw bytes, and stops cleanly.
mod common;
use common::*;

#[test]
fn starts_answers_and_stops_on_sigterm() {
    let mut srv = TestServer::start();
    let mut c = srv.client();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(calls(&mut s, &["GET", "missing"]), "$-1\r\n");
    let st = srv.terminate();
    assert!(st.success(), "exit status {st:?}");
    assert!(srv.log().contains("bye bye"));
}
