//! Connection-level defences: the descriptor limit, caps on open
//! connections (global and per peer address), a rate-limited log for
//! accept failures, and an IO adapter that ends connections whose client
//! stops reading a response or dawdles over a request head.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Descriptors kept back from the connection cap for everything else the
/// process opens: the listener, database connections (the pools hold at
/// most a few dozen), SQLite's journal files, TLS files, stdio.
pub(crate) const RESERVED_DESCRIPTORS: u64 = 64;

/// The smallest global connection cap derived from the descriptor limit.
const MIN_DERIVED_CAP: u64 = 16;

/// Raises the soft descriptor limit (`RLIMIT_NOFILE`) to the hard limit
/// and returns the soft limit now in force, or `None` if it cannot be
/// read. Each connection costs one descriptor (TLS wraps the same
/// socket), so the limit bounds how many connections the process can
/// hold; the usual default soft limit of 1,024 is far below what the hard
/// limit (524,288 under systemd) allows.
pub(crate) fn raise_descriptor_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::info!(limit, "descriptor limit (RLIMIT_NOFILE soft limit)");
            Some(limit)
        }
        Err(e) => {
            // Linux refuses a soft limit of "infinity" even when the hard
            // limit is; keep whatever is in force.
            let current = rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft);
            tracing::warn!(error = %e, limit = current, "cannot raise the descriptor limit; keeping the current one");
            current
        }
    }
}

/// The default global connection cap for a descriptor limit: all of it
/// but [`RESERVED_DESCRIPTORS`], so that accepting never fails with
/// `EMFILE` and the database can still open connections. Unknown or
/// unlimited limits get a cap of 65,536.
pub(crate) fn derived_connection_cap(descriptors: Option<u64>) -> usize {
    let cap = descriptors.map_or(65_536, |d| {
        d.saturating_sub(RESERVED_DESCRIPTORS)
            .clamp(MIN_DERIVED_CAP, 1 << 20)
    });
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// Counts open connections, globally and per peer address, and refuses
/// new ones over either cap.
#[derive(Debug)]
pub(crate) struct ConnectionLimits {
    max_total: usize,
    max_per_peer: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    per_peer: HashMap<IpAddr, usize>,
}

/// Why a connection was refused.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Refused {
    /// The server holds its global maximum.
    Total,
    /// This peer address holds its maximum.
    PerPeer,
}

impl ConnectionLimits {
    /// At most `max_total` connections in all and `max_per_peer` from one
    /// address (each at least one).
    pub(crate) fn new(max_total: usize, max_per_peer: usize) -> Self {
        Self {
            max_total: max_total.max(1),
            max_per_peer: max_per_peer.max(1),
            open: Mutex::new(Open::default()),
        }
    }

    /// Counts a connection from `peer`, or says which cap it is over. The
    /// guard uncounts it when dropped.
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<ConnectionGuard, Refused> {
        let Ok(mut open) = self.open.lock() else {
            // A panic elsewhere poisoned the lock: refuse rather than
            // serve uncounted.
            return Err(Refused::Total);
        };
        if open.total >= self.max_total {
            return Err(Refused::Total);
        }
        let count = open.per_peer.entry(peer).or_insert(0);
        if *count >= self.max_per_peer {
            return Err(Refused::PerPeer);
        }
        *count += 1;
        open.total += 1;
        Ok(ConnectionGuard {
            limits: Arc::clone(self),
            peer,
        })
    }

    /// The number of open connections.
    #[cfg(test)]
    fn total(&self) -> usize {
        self.open.lock().map_or(0, |o| o.total)
    }
}

/// One counted connection; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct ConnectionGuard {
    limits: Arc<ConnectionLimits>,
    peer: IpAddr,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        if let Ok(mut open) = self.limits.open.lock() {
            open.total = open.total.saturating_sub(1);
            if let Some(count) = open.per_peer.get_mut(&self.peer) {
                *count -= 1;
                if *count == 0 {
                    open.per_peer.remove(&self.peer);
                }
            }
        }
    }
}

/// A log line at most every `interval`, with the number of events it
/// stands for: a flood of refused connections or accept failures must not
/// flood the log (and the disk) too.
#[derive(Debug)]
pub(crate) struct Throttle {
    interval: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl Throttle {
    /// At most one line per `interval`.
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            state: Mutex::new((None, 0)),
        }
    }

    /// Notes one event; returns `Some(suppressed)` when a line is due,
    /// with the number of events since the last line that had none.
    pub(crate) fn note(&self) -> Option<u64> {
        self.note_at(Instant::now())
    }

    fn note_at(&self, now: Instant) -> Option<u64> {
        let Ok(mut state) = self.state.lock() else {
            return None;
        };
        let (last, suppressed) = &mut *state;
        match last {
            Some(at) if now.saturating_duration_since(*at) < self.interval => {
                *suppressed += 1;
                None
            }
            _ => {
                *last = Some(now);
                Some(std::mem::take(suppressed))
            }
        }
    }
}

/// How long the accept loop pauses after an accept error that is about
/// the process (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), not the one
/// connection: accepting again at once would fail again, in a busy loop.
pub(crate) const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Whether an accept error is about the one connection (the client gave
/// up before it was accepted), so that the next accept may well succeed.
pub(crate) fn is_per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// Whether the connection's current request has been read to its head:
/// set by the service while it handles a request, so that [`GuardedIo`]
/// starts a head timer only for bytes that begin a new request.
#[derive(Debug, Default)]
pub(crate) struct InRequest(AtomicBool);

impl InRequest {
    /// The service has the head of a request (or is done with it).
    pub(crate) fn set(&self, busy: bool) {
        self.0.store(busy, Ordering::Release);
    }

    fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The client's IP address (the TCP peer, or behind `--behind-tls-proxy`
/// the proxy's `X-Forwarded-For`), put into each request's extensions for
/// the per-address limit on failed authentication.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) struct ClientIp(pub(crate) IpAddr);

/// Timeouts an IO stream enforces below hyper.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IoTimeouts {
    /// How long a write may make no progress (the client does not read).
    pub(crate) write: Duration,
    /// How long a request head may take from its first byte.
    pub(crate) head: Duration,
}

/// An IO stream that fails with `TimedOut`
/// - when a write (or flush) makes no progress for [`IoTimeouts::write`]:
///   a client that never reads its response would otherwise hold the
///   connection and the response's memory for as long as TCP keeps the
///   socket (minutes); hyper has no write timeout of its own;
/// - when a request head is not complete [`IoTimeouts::head`] after its
///   first byte arrived: hyper's `header_read_timeout` runs from the
///   moment the connection is idle, so it is the (longer) idle timeout.
///
/// hyper then ends the connection and drops the response.
#[derive(Debug)]
pub(crate) struct GuardedIo<I> {
    inner: I,
    timeouts: IoTimeouts,
    in_request: Arc<InRequest>,
    write_deadline: Option<Pin<Box<Sleep>>>,
    head_deadline: Option<Pin<Box<Sleep>>>,
}

impl<I> GuardedIo<I> {
    /// Wraps `inner`; `in_request` is shared with the service.
    pub(crate) fn new(inner: I, timeouts: IoTimeouts, in_request: Arc<InRequest>) -> Self {
        Self {
            inner,
            timeouts,
            in_request,
            write_deadline: None,
            head_deadline: None,
        }
    }
}

/// Polls `deadline` (started on first use): `Ready(Err)` when it passed.
fn poll_deadline(
    deadline: &mut Option<Pin<Box<Sleep>>>,
    after: Duration,
    cx: &mut Context<'_>,
    what: &'static str,
) -> Poll<io::Error> {
    let sleep = deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(after)));
    ready!(sleep.as_mut().poll(cx));
    Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, what))
}

impl<I: AsyncRead + Unpin> AsyncRead for GuardedIo<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.in_request.get() {
            this.head_deadline = None;
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                // Bytes outside a request begin (part of) the next head:
                // it must be complete in time.
                if buf.filled().len() > before && !this.in_request.get() {
                    let head = this.timeouts.head;
                    if let Poll::Ready(e) =
                        poll_deadline(&mut this.head_deadline, head, cx, "request head timed out")
                    {
                        return Poll::Ready(Err(e));
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match &mut this.head_deadline {
                Some(sleep) if !this.in_request.get() => {
                    ready!(sleep.as_mut().poll(cx));
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "request head timed out",
                    )))
                }
                _ => Poll::Pending,
            },
        }
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for GuardedIo<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Pending => this.stalled(cx),
            done => {
                this.write_deadline = None;
                done
            }
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => this.stalled(cx),
            done => {
                this.write_deadline = None;
                done
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => this.stalled(cx),
            done => {
                this.write_deadline = None;
                done
            }
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_shutdown(cx) {
            Poll::Pending => this.stalled(cx),
            done => done,
        }
    }
}

impl<I> GuardedIo<I> {
    /// A write that cannot proceed: pending until the client reads or the
    /// write timeout passes.
    fn stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let after = self.timeouts.write;
        let e = ready!(poll_deadline(
            &mut self.write_deadline,
            after,
            cx,
            "the client did not read the response in time"
        ));
        Poll::Ready(Err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[test]
    fn caps_count_globally_and_per_peer_and_free_on_drop() {
        let limits = Arc::new(ConnectionLimits::new(3, 2));
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let a1 = limits.admit(a).unwrap();
        let _a2 = limits.admit(a).unwrap();
        assert_eq!(limits.admit(a).unwrap_err(), Refused::PerPeer);
        let _b1 = limits.admit(b).unwrap();
        assert_eq!(limits.admit(b).unwrap_err(), Refused::Total);
        drop(a1);
        assert_eq!(limits.total(), 2);
        let _a3 = limits.admit(a).unwrap();
    }

    #[test]
    fn the_derived_cap_leaves_room_for_the_rest_of_the_process() {
        assert_eq!(derived_connection_cap(Some(1024)), 960);
        assert_eq!(derived_connection_cap(Some(10)), 16);
        assert_eq!(derived_connection_cap(None), 65_536);
        assert_eq!(derived_connection_cap(Some(u64::MAX)), 1 << 20);
    }

    #[test]
    fn the_throttle_lets_one_line_through_per_interval_with_a_count() {
        let t = Throttle::new(Duration::from_secs(5));
        let t0 = Instant::now();
        assert_eq!(t.note_at(t0), Some(0));
        assert_eq!(t.note_at(t0 + Duration::from_secs(1)), None);
        assert_eq!(t.note_at(t0 + Duration::from_secs(2)), None);
        assert_eq!(t.note_at(t0 + Duration::from_secs(6)), Some(2));
        assert_eq!(t.note_at(t0 + Duration::from_secs(7)), None);
    }

    #[test]
    fn accept_errors_about_one_connection_need_no_backoff() {
        assert!(is_per_connection(&io::Error::from(
            io::ErrorKind::ConnectionAborted
        )));
        assert!(!is_per_connection(&io::Error::from_raw_os_error(24)));
    }

    fn timeouts(ms: u64) -> IoTimeouts {
        IoTimeouts {
            write: Duration::from_millis(ms),
            head: Duration::from_millis(ms),
        }
    }

    #[tokio::test]
    async fn a_write_the_peer_never_reads_times_out() {
        let (server, _client) = tokio::io::duplex(1024);
        let mut io = GuardedIo::new(server, timeouts(50), Arc::default());
        let big = vec![0u8; 64 * 1024];
        let e = io.write_all(&big).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_slow_reader_that_keeps_reading_is_not_cut_off() {
        let (server, mut client) = tokio::io::duplex(1024);
        let mut io = GuardedIo::new(server, timeouts(200), Arc::default());
        let reader = tokio::spawn(async move {
            let mut total = 0;
            let mut chunk = [0u8; 512];
            while total < 16 * 1024 {
                tokio::time::sleep(Duration::from_millis(5)).await;
                total += client.read(&mut chunk).await.unwrap();
            }
        });
        io.write_all(&vec![1u8; 16 * 1024]).await.unwrap();
        reader.await.unwrap();
    }

    #[tokio::test]
    async fn a_head_must_be_complete_in_time_but_idle_is_not_a_head() {
        let (server, mut client) = tokio::io::duplex(1024);
        let in_request = Arc::new(InRequest::default());
        let mut io = GuardedIo::new(server, timeouts(100), in_request.clone());
        let mut buf = [0u8; 64];
        // Idle: no timer yet.
        assert!(
            tokio::time::timeout(Duration::from_millis(200), io.read(&mut buf))
                .await
                .is_err()
        );
        // The first byte of a head starts it.
        client.write_all(b"GET").await.unwrap();
        assert_eq!(io.read(&mut buf).await.unwrap(), 3);
        let e = io.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);

        // Inside a request (a slow body), the head timer does not run.
        let (server, mut client) = tokio::io::duplex(1024);
        let in_request = Arc::new(InRequest::default());
        in_request.set(true);
        let mut io = GuardedIo::new(server, timeouts(50), in_request);
        client.write_all(b"x").await.unwrap();
        assert_eq!(io.read(&mut buf).await.unwrap(), 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
        client.write_all(b"y").await.unwrap();
        assert_eq!(io.read(&mut buf).await.unwrap(), 1);
    }
}
