import JSONRPC
import Synchronization

/// LSP's session lifecycle, decided in arrival order before any handler runs.
///
/// Before `initialize`, requests get -32002 and notifications other than `exit` are dropped; after
/// `shutdown`, requests get -32600 and only `exit` is acted on. The state moves when a message
/// *arrives*, not when its handler finishes, so a client may pipeline `initialize` and its first
/// requests.
public final class Lifecycle: Sendable {
    public enum State: Sendable, Equatable {
        case uninitialized
        case running
        case shuttingDown
    }

    private let state = Mutex(State.uninitialized)

    public init() {}

    public var current: State { state.withLock { $0 } }

    /// The exit code LSP prescribes when the session ends now: 0 after `shutdown`, 1 without.
    public var exitCode: Int32 { current == .shuttingDown ? 0 : 1 }

    public func admit(method: String, isRequest: Bool) -> Admission {
        state.withLock { state in
            if !isRequest {
                if method == ExitNotification.method { return .accept }
                return state == .running ? .accept : .drop
            }
            switch state {
            case .uninitialized:
                guard method == InitializeRequest.method else {
                    return .reject(ResponseError(.serverNotInitialized, "server not initialized: send initialize first"))
                }
                state = .running
                return .accept
            case .running:
                if method == InitializeRequest.method {
                    return .reject(ResponseError(.invalidRequest, "invalid request: initialize was already received"))
                }
                if method == ShutdownRequest.method { state = .shuttingDown }
                return .accept
            case .shuttingDown:
                return .reject(ResponseError(.invalidRequest, "invalid request: the server is shutting down; only exit is accepted"))
            }
        }
    }

    /// `initialize` was admitted but its params were unusable: let the client try again.
    func initializeFailed() {
        state.withLock { if $0 == .running { $0 = .uninitialized } }
    }
}
