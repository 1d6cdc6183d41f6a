import HQTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A background thread of a broadcaster (the ZAP handler, the replay
/// service): started once with its body, joined once. The body (and what it
/// captures, e.g. its owner) stays alive until the thread returns.
struct ServiceThread {
    private var thread: pthread_t = 0
    private var running = false

    /// Starts `body` on a new thread; `what` names it in the error.
    mutating func start(_ what: String, _ body: @escaping () -> Void) throws(HQTError) {
        let box = Unmanaged.passRetained(ServiceThreadBody(body)).toOpaque()
        let rc = pthread_create(
            &thread, nil,
            { arg in
                Unmanaged<ServiceThreadBody>.fromOpaque(arg!).takeRetainedValue().run()
                return nil
            }, box)
        guard rc == 0 else {
            Unmanaged<ServiceThreadBody>.fromOpaque(box).release()
            throw HQTError(.broadcast, "cannot start the \(what) thread (pthread_create: \(rc))")
        }
        running = true
    }

    /// Waits for the thread to return (the caller made its body stop); a
    /// thread never started, or already joined, is not waited for.
    mutating func join() {
        guard running else { return }
        running = false
        pthread_join(thread, nil)
    }
}

/// The body handed to pthread_create through one retained pointer.
private final class ServiceThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
