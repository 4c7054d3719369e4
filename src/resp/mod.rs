//! RESP, the Redis wire protocol: the incremental request parser (with its
//! limits) and reply encoding for RESP2 and RESP3.

pub mod parser;
pub mod reply;

pub use reply::Reply;
