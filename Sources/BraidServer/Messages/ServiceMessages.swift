import BraidCore
import JSONRPC

/// The params of Braid's own methods (see `Protocol/`). Decoding failures are -32602 with the
/// field named; a missing optional means "not given".
enum ServiceParams {
    struct Task: Codable, Sendable { var task: Int }

    struct Init: Codable, Sendable {
        var testCommand: String?
        var agent: String?
    }

    struct Add: Codable, Sendable {
        var title: String
        var body: String?
        var agent: String?
        var touches: [String]?
        var after: [Int]?
        var priority: Int?
        var fallback: [String]?
        var section: String?
    }

    /// A field given as "" is removed from the task.
    struct Update: Codable, Sendable {
        var task: Int
        var title: String?
        var agent: String?
        var touches: [String]?
        var after: [Int]?
        var priority: Int?
        var fallback: [String]?
    }

    struct Move: Codable, Sendable {
        var task: Int
        var section: String
    }

    struct SessionList: Codable, Sendable { var task: Int? }

    struct List: Codable, Sendable {
        /// Only the tasks of this section.
        var section: String?
        /// `board` (the default) or `risk` (riskiest first: the order to review in).
        var orderBy: String?
    }

    struct Adjudicate: Codable, Sendable {
        struct Decision: Codable, Sendable {
            var finding: Int
            var keep: Bool
            var reason: String
        }
        var task: Int
        var decisions: [Decision]
    }

    struct SessionLog: Codable, Sendable {
        var session: String?
        var task: Int?
        var offset: Int?
        var limit: Int?
        var tail: Int?
    }

    struct SessionName: Codable, Sendable {
        var session: String?
        var task: Int?
    }

    struct WorkDone: Codable, Sendable { var workDoneToken: JSONValue? }

    struct Gate: Codable, Sendable {
        var task: Int
        var workDoneToken: JSONValue?
    }

    struct Diff: Codable, Sendable {
        var task: Int
        var stat: Bool?
    }

    struct Reject: Codable, Sendable {
        var task: Int
        var feedback: String
    }

    struct Retry: Codable, Sendable {
        var task: Int
        var guidance: String?
    }

    struct Reassign: Codable, Sendable {
        var task: Int
        var agent: String
    }

    struct Enqueue: Codable, Sendable { var tasks: [Int]? }

    struct MergeWait: Codable, Sendable {
        var tasks: [Int]?
        /// The merge log's position from `merge/enqueue`: decisions after it are reported.
        var since: Int
    }
}

/// Braid's own error codes, in JSON-RPC's range for server errors.
public enum BraidErrorCode {
    /// No task with that id on the board.
    public static let taskNotFound = ErrorCode(rawValue: -32010)
    /// The task (or the repository) is not in a state where the request applies.
    public static let wrongState = ErrorCode(rawValue: -32011)
    /// The server's folder is not a Braid repository (`workspace/init` makes it one).
    public static let noWorkspace = ErrorCode(rawValue: -32012)
    /// No session with that id.
    public static let sessionNotFound = ErrorCode(rawValue: -32013)
}

extension ResponseError {
    /// The protocol's answer for a failure of the domain.
    static func from(_ error: any Error) -> ResponseError {
        switch error {
        case let error as ResponseError: return error
        case let error as RequestError:
            switch error {
            case .noSuchTask: return ResponseError(BraidErrorCode.taskNotFound, error.description)
            case .noSuchSession: return ResponseError(BraidErrorCode.sessionNotFound, error.description)
            case .wrongState: return ResponseError(BraidErrorCode.wrongState, error.description)
            case .invalid: return .invalidParams(error.description)
            case .failed: return ResponseError(.requestFailed, error.description)
            }
        default: return ResponseError(.requestFailed, "\(error)")
        }
    }
}
