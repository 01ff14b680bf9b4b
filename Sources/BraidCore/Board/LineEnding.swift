/// What ended a line in the file as read, so that writing it back gives the same bytes.
///
/// Only `\n` and `\r\n` end lines, as git and `grep -n` count them; a lone `\r` is text.
enum LineEnding: Sendable, Hashable {
    /// The file's last line, when the file does not end with a newline.
    case none
    case lf
    case crlf

    var text: String {
        switch self {
        case .none: return ""
        case .lf: return "\n"
        case .crlf: return "\r\n"
        }
    }
}
