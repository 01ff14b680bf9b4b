#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSONRPC

/// The client's first message, read before `braid serve` decides where to serve: an `initialize`
/// that names a Braid repository (`rootUri`, `rootPath`) is bridged to that repository's daemon,
/// wherever the editor started the server.
struct FirstMessage {
    /// Everything read, to hand on unchanged to whoever serves.
    let bytes: [UInt8]
    /// The folder the client's `initialize` names, if it names one.
    let root: URL?

    /// Reads until one whole message (or end of input, or something that is not a message: the
    /// server that takes over answers it as it would).
    static func take(from fd: Int32, maxMessageSize: Int) -> FirstMessage {
        var parser = FrameParser(maxMessageSize: maxMessageSize)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return FirstMessage(bytes: bytes, root: nil) }
            bytes += buffer[0..<count]
            buffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            switch parser.next() {
            case nil:
                continue
            case .error?:
                return FirstMessage(bytes: bytes, root: nil)
            case .body(let body)?:
                return FirstMessage(bytes: bytes, root: (try? JSONParser.parse(body)).flatMap(root(ofInitialize:)))
            }
        }
    }

    /// The folder an `initialize` request names, as the server itself would read it.
    static func root(ofInitialize message: JSONValue) -> URL? {
        guard message["method"]?.stringValue == "initialize", let params = message["params"] else { return nil }
        if let uri = params["rootUri"]?.stringValue, let url = URL(string: uri), url.isFileURL { return url }
        return params["rootPath"]?.stringValue.map { URL(fileURLWithPath: $0) }
    }
}
