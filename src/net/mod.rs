//! Networking: the blocking accept loop (listener.rs), the bounded worker
//! pool (pool.rs), one connection's read → execute → write loop (conn.rs),
//! and signal handling for graceful shutdown (signal.rs).

pub mod conn;
pub mod listener;
pub mod pool;
pub mod signal;
