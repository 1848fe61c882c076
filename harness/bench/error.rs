//! Why a benchmark could not run.
/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An I/O step failed.
    #[error("{context}: {source}")]
    Io {
        /// What the benchmark was doing.
        context: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A request got an answer the benchmark did not expect.
    #[error("{context}: {detail}")]
    Http {
        /// Which request.
        context: String,
        /// What was wrong with the answer.
        detail: String,
    },
    /// A server under test did not start or stopped.
    #[error("{0}")]
    Server(String),
}
