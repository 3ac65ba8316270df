//! A delaying TCP proxy on 127.0.0.1: every byte is held for a fixed one-way delay
//! in each direction, so a client that waits for a reply pays one round trip
//! (2 × delay) each time. Threads in this process; stopped on drop.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The proxy; listens on [`Proxy::addr`], forwards to the upstream server.
pub struct Proxy {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` that delays each direction by `one_way`.
    pub fn start(upstream: SocketAddr, one_way: Duration) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let acceptor = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                for (from, to) in [(&client, &server), (&server, &client)] {
                    if let (Ok(f), Ok(t)) = (from.try_clone(), to.try_clone()) {
                        pipe(f, t, one_way);
                    }
                }
            }
        });
        Ok(Proxy {
            addr,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// One direction: a reader thread stamps each read, a writer thread sends it
/// when its delay has passed. EOF or an error ends both and half-closes `to`.
fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let _ = from.set_nodelay(true);
    let _ = to.set_nodelay(true);
    let _ = from.set_read_timeout(Some(Duration::from_secs(30)));
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0
                || tx
                    .send((Instant::now() + delay, buf[..n].to_vec()))
                    .is_err()
            {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        while let Ok((due, data)) = rx.recv() {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if to.write_all(&data).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }
}
