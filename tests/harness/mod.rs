//! Test support: the stack (real Synapse + simulator + Sportello, from the testkit crate)
//! and a staff member played by a real Matrix client (matrix-sdk).

pub mod staff;

use std::time::Duration;

pub use sportello_simulator::{Failure, webhook::Citizen};
pub use sportello_testkit::{Stack, StackOptions};
pub use staff::Staff;

/// How long end-to-end waits may take before a test fails (CI machines are slow).
pub const WAIT: Duration = Duration::from_secs(60);

/// Starts a stack with the default options (staff mario, admin anna, non-staff eve).
pub async fn stack() -> Stack {
    stack_with(StackOptions::default()).await
}

pub async fn stack_with(opts: StackOptions) -> Stack {
    init_logs();
    Stack::start(opts).await.expect("the test stack starts")
}

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("sportello=info,warn")),
        )
        .with_test_writer()
        .try_init();
}

/// Polls `f` until it returns Some, or panics after [`WAIT`] with `what`.
pub async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
