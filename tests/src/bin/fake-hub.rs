//! The tests' fake Hugging Face hub as a program, for `cargo xtask bench`:
//! `fake-hub ORG/NAME DIR [ORG/NAME DIR]…` publishes the folders, prints the hub's URL on the
//! first line, and serves until its standard input closes. `FAKE_HUB_BYTES_PER_SEC` slows its
//! file transfers (browser tests pause a download while it runs).

use std::io::Read;
use std::path::PathBuf;

use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || !args.len().is_multiple_of(2) {
        eprintln!("usage: fake-hub ORG/NAME DIR [ORG/NAME DIR]…");
        std::process::exit(2);
    }
    let hub = FakeHub::start().await;
    if let Some(rate) = std::env::var("FAKE_HUB_BYTES_PER_SEC")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        hub.faults().rate_limit(Some(rate));
    }
    for pair in args.chunks(2) {
        hub.publish(&pair[0], &PathBuf::from(&pair[1]), ModelCard::default());
    }
    println!("{}", hub.url());
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await
    .expect("stdin task");
    hub.stop().await;
}
